package oa_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/tests/testpbx"
)

// The agent bar's knowledge panel in Chromium, the bar served by the PBX
// and the OA on an origin of its own: a caller with an open 网点报修
// ticket rings the agent, and the pop lists the article the OA links to
// that category; typing in the pop's 知识检索 box shows the OA's
// suggestions (read across origins with the bar's knowledge token), and
// one picked opens the article on the OA, signed in.
func TestAgentBarKnowledgeSuggestionsAndLinkedArticles(t *testing.T) {
	sipp.Require(t)
	// The OA's address is chosen first: the PBX lets its page connect
	// there, and the OA lets the PBX's page read from it.
	ln, err := net.Listen("tcp", net.JoinHostPort(testpbx.Loopback(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	oaAddr := ln.Addr().String()
	ln.Close()
	p := hotlinePBX(t, func(c *config.Config) {
		c.WebRTC.Disabled = true // a desk phone (SIPp) answers
		c.HTTP.UIConnectOrigins = []string{"http://" + oaAddr}
	})
	o := startOA(t, p)
	o.stop(t)
	o.cfg.HTTP.Addr = oaAddr
	o.cfg.Business.BaseURL = "http://" + oaAddr
	o.cfg.SSO.BarOrigins = []string{"http://" + p.HTTPAddr()}
	o.start(t)
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })
	b := startUIBrowser(t)

	// The caller (extension 1001) is a customer with an open repair ticket;
	// an article answers repairs, another answers a category they have no
	// ticket in.
	sup := o.login(t, "supervisor1")
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", sup, nil, &cats)
	catID := func(name string) int64 {
		for _, c := range cats.Items {
			if c.Name == name {
				return c.ID
			}
		}
		t.Fatalf("no category %s", name)
		return 0
	}
	var cust oa.Customer
	if code := o.do(t, "POST", "/api/v1/customers", sup, map[string]any{"name": "孙七", "phones": []map[string]string{{"number": "1001"}}}, &cust); code != 201 {
		t.Fatalf("customer: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/tickets", sup, map[string]any{"title": "投注机不出票", "category_id": catID("网点报修"), "customer_id": cust.ID}, nil); code != 201 {
		t.Fatalf("ticket: %d", code)
	}
	kb, err := o.Knowledge.PutBase(t.Context(), "demo", knowledge.Base{Name: "热线知识"})
	if err != nil {
		t.Fatal(err)
	}
	linked := publishArticle(t, o, knowledge.ArticleInput{BaseID: kb.ID, CategoryID: catID("网点报修"), Title: "投注站设备故障报修流程", BodyHTML: "<p>先重启终端，仍不能出票的登记报修。</p>"})
	publishArticle(t, o, knowledge.ArticleInput{BaseID: kb.ID, CategoryID: catID("投诉建议"), Title: "投诉受理口径", BodyHTML: "<p>投诉</p>"})
	other := publishArticle(t, o, knowledge.ArticleInput{BaseID: kb.ID, Title: "投注站开业申请指南", BodyHTML: "<p>开业</p>"})

	// The agent at the bar.
	pc := testpbx.NewClient(t, p, "")
	sys := pc.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := pc.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	id, session := pc.NewUser(sys, "demo", "zhoujiu")
	pc.Assign(sec, id, "agent", nil, "a1002")
	b.Open("bar", "http://"+p.HTTPAddr()+"/agent/#token="+session)
	b.Wait("bar", "[data-test=state][data-state=ready]", 10*time.Second)

	p.Callee(t, "1002", "127.0.41.2", "uas_answer.xml", false, map[string]string{"ring_ms": "1000", "hangup_ms": "20000"})
	done := make(chan *sipp.Result, 1)
	go func() { done <- p.Call(t, "1001", "127.0.41.1", caller(t, 500), "8000", nil) }()
	b.Wait("bar", "[data-test=screenpop] [data-test=kb-linked-article]", 20*time.Second)
	var titles []string
	b.Eval("bar", `[...document.querySelectorAll('[data-test=kb-linked-article]')].map((a) => a.textContent)`, &titles)
	if len(titles) != 1 || titles[0] != "投注站设备故障报修流程" {
		t.Errorf("linked articles %q: want the repair category's only", titles)
	}
	var href string
	b.Eval("bar", `document.querySelector('[data-test=kb-linked-article]').getAttribute('href')`, &href)
	if href != "http://"+oaAddr+"/#/kb/articles/"+strconv.FormatInt(linked.ID, 10) {
		t.Errorf("the linked article leads to %q", href)
	}
	var dl string
	b.Eval("bar", `document.querySelector('[data-test=screenpop] dl').textContent`, &dl)
	if strings.Contains(dl, "open_tickets") {
		t.Errorf("the card's JSON is shown: %q", dl)
	}

	// Suggestions while typing, from the OA's origin.
	b.Fill("bar", "[data-test=kb-search] input", "投注站")
	b.Wait("bar", "[data-test=kb-suggestion]:has-text('投注站开业申请指南')", 10*time.Second)
	var sg []string
	b.Eval("bar", `[...document.querySelectorAll('[data-test=kb-suggestion]')].map((a) => a.textContent)`, &sg)
	if len(sg) < 2 || !strings.Contains(strings.Join(sg, "|"), "投注站设备故障报修流程") {
		t.Errorf("suggestions %q", sg)
	}
	b.Shot("bar", "kb-bar-suggestions")
	// One picked opens its article on the OA, signed in: the bar's
	// window.open is watched to learn where it sends the tab.
	b.Eval("bar", `(() => { window.open = () => (window.oaTab = { opener: {}, location: { href: '' } }); return true })()`, nil)
	b.Click("bar", "[data-test=kb-suggestion]:has-text('投注站开业申请指南')")
	var link string
	for deadline := time.Now().Add(5 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b.Eval("bar", `window.oaTab ? window.oaTab.location.href : ''`, &link)
	}
	want := "http://" + oaAddr + "/#/kb/articles/" + strconv.FormatInt(other.ID, 10) + "?sso="
	if !strings.HasPrefix(link, want) {
		t.Fatalf("the suggestion opened %q, want %s…", link, want)
	}
	b.Open("oa", link)
	b.Wait("oa", "[data-test=kb-title]:has-text('投注站开业申请指南')", 10*time.Second)
	b.Wait("oa", "[data-test=who]:has-text('zhoujiu')", 5*time.Second)
	b.Shot("oa", "kb-bar-article-on-the-oa")
	if res := <-done; res.Check(1) != nil {
		t.Fatalf("caller: %v", res.Check(1))
	}
}
