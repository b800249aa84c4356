package oa_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/tests/browserdriver"
)

// asUser opens base's page in the browser signed in as name (a session
// through the API handed to the page: the login form is tested elsewhere).
func asUser(t *testing.T, b *browserdriver.Browser, o *oaProc, page, base, name, path string) {
	t.Helper()
	tok := o.login(t, name)
	b.Open(page, base+"/healthz") // this origin, another document: the page starts afresh
	b.Eval(page, fmt.Sprintf(`localStorage.setItem('yimen.oa.session', JSON.stringify({token: %q, tenant: 'demo', name: %q})), true`, tok, name), nil)
	b.Open(page, base+path)
	b.Wait(page, "[data-test=who]:has-text('"+name+"')", 10*time.Second)
}

// present reports whether sel finds an element in the page now.
func present(b *browserdriver.Browser, page, sel string) bool {
	var ok bool
	b.Eval(page, "!!document.querySelector("+strconv.Quote(sel)+")", &ok)
	return ok
}

// The knowledge base's editors, reviewer and agent in Chromium: an editor
// makes a base and a directory, writes an article with headings, bold, a
// list and a table, attaches a file and submits it; a second publisher
// approves it in 知识审核 (after seeing it refused without a reason to
// reject); an agent finds it by search, reads it with its attachment and
// votes it helpful, while an expired article and an article of a base
// closed to the agent's department stay out of sight.
func TestOAUIKnowledgeWriteReviewRead(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	addSupervisor(t, o, "zhangbian") // an editor (supervisors write and publish)
	ctx := t.Context()

	// The editor: a base, a directory, an article.
	asUser(t, b, o, p, base, "zhangbian", "/#/kb")
	b.Wait(p, "[data-test=kb-new-base]", 5*time.Second)
	b.Click(p, "[data-test=kb-new-base]")
	b.Fill(p, "#kb-base-name", "热线知识")
	b.Click(p, "[data-test=kb-base-save]")
	b.Wait(p, "[data-test=kb-new-dir]", 5*time.Second)
	b.Click(p, "[data-test=kb-new-dir]")
	b.Fill(p, "#kb-dir-name", "设备故障")
	b.Click(p, "[data-test=kb-dir-save]")
	b.Wait(p, "[data-test=kb-tree] :has-text('设备故障')", 5*time.Second)
	b.Click(p, "[data-test=kb-write]")
	b.Wait(p, "[data-test=kb-body]", 10*time.Second)
	// The article goes into the directory open in the tree.
	b.Wait(p, "[data-test=kb-dir]:has-text('设备故障')", 5*time.Second)
	b.Wait(p, "[data-test=kb-readers]:has-text('全体人员')", 2*time.Second) // the base names no department
	b.Fill(p, "#kb-title", "投注站设备故障报修流程")
	typ := func(s string) { b.Do(map[string]any{"op": "type", "page": p, "value": s}) }
	b.Click(p, "[data-test=kb-body]")
	b.Click(p, "[data-test=tool-h2]")
	typ("处理步骤")
	b.Press(p, "Enter")
	typ("先")
	b.Click(p, "[data-test=tool-bold]")
	typ("重启终端")
	b.Click(p, "[data-test=tool-bold]")
	typ("，仍不能出票的登记报修。")
	b.Press(p, "Enter")
	b.Click(p, "[data-test=tool-bullet]")
	typ("检查电源")
	b.Press(p, "Enter")
	typ("检查网线")
	b.Press(p, "Enter")
	b.Press(p, "Enter")
	b.Click(p, "[data-test=tool-table]")
	typ("型号")
	b.Wait(p, "[data-test=kb-body] table th:has-text('型号')", 2*time.Second)
	b.Fill(p, "#kb-note", "初稿")
	b.Shot(p, "kb-01-editor-writing")
	b.Click(p, "[data-test=kb-save]")
	b.Wait(p, "[data-test=kb-upload-button]", 5*time.Second) // the draft exists: attachments may go up
	var id int64
	b.Eval(p, `Number(location.hash.split('/')[3])`, &id)
	if id == 0 {
		t.Fatal("no article id in the address after saving")
	}
	b.Eval(p, `(() => { const i = document.querySelector('[data-test=kb-upload]'); const d = new DataTransfer();
		d.items.add(new File(['报修单模板'], '报修单.txt', { type: 'text/plain' })); i.files = d.files; i.dispatchEvent(new Event('change')); return true })()`, nil)
	b.Wait(p, "[data-test=kb-attachments] :has-text('报修单.txt')", 5*time.Second)
	b.Click(p, "[data-test=kb-save-submit]")
	b.Wait(p, "[data-test=kb-pending]:has-text('待审核')", 5*time.Second)
	b.Shot(p, "kb-02-editor-submitted")
	sup := o.login(t, "supervisor1")
	var draft knowledge.Article
	o.do(t, "GET", "/api/v1/knowledge/articles/"+strconv.FormatInt(id, 10), sup, nil, &draft)
	if draft.Pending == nil || draft.Pending.State != knowledge.StateReview || draft.DirID == 0 {
		t.Fatalf("submitted article %+v", draft)
	}
	for _, want := range []string{"<h2>处理步骤</h2>", "<strong>重启终端</strong>", "<ul>", "<li><p>检查电源</p></li>", "<table", "型号"} {
		if !strings.Contains(draft.Pending.BodyHTML, want) {
			t.Errorf("the saved body lacks %s: %s", want, draft.Pending.BodyHTML)
		}
	}
	// The editor cannot review their own version (the queue says so).
	b.Open(p, base+"/#/kb/reviews")
	b.Wait(p, "[data-test=kb-queue-item]", 5*time.Second)
	b.Click(p, "[data-test=kb-queue-item]")
	b.Click(p, "[data-test=kb-approve]")
	b.Wait(p, "[data-test=kb-review-error]:has-text('不能审核自己编辑的版本')", 5*time.Second)

	// Articles the agent must not see: an expired one in the same base,
	// and one in a base only 维修部 reads.
	kbs, _, err := o.Knowledge.Articles(ctx, "demo", knowledge.Viewer{All: true}, knowledge.ListFilter{BaseID: draft.BaseID})
	if err != nil || len(kbs) != 1 {
		t.Fatalf("articles %v %v", kbs, err)
	}
	publish := func(in knowledge.ArticleInput) int64 { return publishArticle(t, o, in).ID }
	expired := publish(knowledge.ArticleInput{BaseID: draft.BaseID, Title: "投注站旧版报修表", BodyHTML: "<p>报修</p>",
		EffectiveAt: time.Now().Add(-48 * time.Hour).UnixMilli(), ExpiresAt: time.Now().Add(-time.Hour).UnixMilli()})
	// The closed base is made on the page, its reader picked from the departments.
	b.Open(p, base+"/#/kb")
	b.Wait(p, "[data-test=kb-new-base]", 5*time.Second)
	b.Click(p, "[data-test=kb-new-base]")
	b.Fill(p, "#kb-base-name", "维修内部")
	b.Click(p, ".el-select__wrapper:has(#kb-base-deps)")
	b.Click(p, ".el-select-dropdown__item:visible:has-text('维修部')")
	b.Shot(p, "kb-02b-new-base")
	b.Click(p, "#kb-base-name") // the list closes
	b.Click(p, "[data-test=kb-base-save]")
	b.Wait(p, "[data-test=kb-base]:has-text('维修内部')", 5*time.Second)
	var all struct{ Items []knowledge.Base }
	o.do(t, "GET", "/api/v1/knowledge/bases", sup, nil, &all)
	var closed knowledge.Base
	for _, kb := range all.Items {
		if kb.Name == "维修内部" {
			closed = kb
		}
	}
	if repair := o.department(t, sup, "维修部"); len(closed.Departments) != 1 || closed.Departments[0] != repair {
		t.Fatalf("the closed base %+v, want read by 维修部 (%d) only", closed, repair)
	}
	inner := publish(knowledge.ArticleInput{BaseID: closed.ID, Title: "投注站主板报修内部手册", BodyHTML: "<p>报修</p>"})

	// The reviewer: the queue, the diff-less first version, a rejection
	// needs its reason, then approval.
	asUser(t, b, o, p, base, "supervisor1", "/#/kb/reviews")
	b.Wait(p, "[data-test=kb-queue-item]:has-text('投注站设备故障报修流程')", 5*time.Second)
	b.Click(p, "[data-test=kb-queue-item]")
	b.Wait(p, "[data-test=kb-review-body] strong:has-text('重启终端')", 5*time.Second)
	b.Click(p, "[data-test=kb-reject]")
	b.Wait(p, "[data-test=kb-review-error]:has-text('请填写驳回原因')", 2*time.Second)
	b.Shot(p, "kb-03-review")
	b.Click(p, "[data-test=kb-approve]")
	b.Wait(p, ".el-empty:has-text('没有待审核的文章')", 5*time.Second)
	var live knowledge.Article
	o.do(t, "GET", "/api/v1/knowledge/articles/"+strconv.FormatInt(id, 10), sup, nil, &live)
	if live.PublishedVersion != 1 || live.Pending != nil {
		t.Fatalf("approved article %+v", live)
	}

	// The agent: search, read, vote; what is closed or expired stays out.
	asUser(t, b, o, p, base, "agent1001", "/#/knowledge?q="+url.QueryEscape("投注站 报修"))
	b.Wait(p, "[data-test=kb-hit] mark", 10*time.Second)
	var hits []string
	b.Eval(p, `[...document.querySelectorAll('[data-test=kb-hit] a')].map((a) => a.textContent)`, &hits)
	if len(hits) != 1 || hits[0] != "投注站设备故障报修流程" {
		t.Errorf("the agent's hits %q: want only the live article of an open base", hits)
	}
	var nav string
	b.Eval(p, `document.querySelector('nav.side').textContent`, &nav)
	if !strings.Contains(nav, "知识库") || strings.Contains(nav, "知识审核") {
		t.Errorf("the agent's menu %q", nav)
	}
	b.Click(p, "[data-test=kb-hit] a")
	b.Click(p, "[data-test=kb-open-full]")
	b.Wait(p, "[data-test=kb-body-view] h2:has-text('处理步骤')", 5*time.Second)
	b.Wait(p, "[data-test=kb-attachments] :has-text('报修单.txt')", 2*time.Second)
	if present(b, p, "[data-test=kb-history], [data-test=kb-edit], [data-test=kb-unpublish]") {
		t.Error("the agent is offered the editors' buttons")
	}
	b.Click(p, "[data-test=kb-vote-yes]")
	b.Wait(p, "[data-test=kb-helpful]:has-text('1')", 5*time.Second)
	b.Shot(p, "kb-04-agent-reads")
	agent := o.login(t, "agent1001")
	var seen knowledge.Article
	o.do(t, "GET", "/api/v1/knowledge/articles/"+strconv.FormatInt(id, 10), sup, nil, &seen)
	if seen.Helpful != 1 || seen.Views < 1 {
		t.Errorf("after the agent's read and vote: views %d helpful %d", seen.Views, seen.Helpful)
	}
	// The base list shows the agent the open base only, and its article.
	b.Open(p, base+"/#/kb")
	b.Wait(p, "[data-test=kb-article]", 5*time.Second)
	var titles []string
	b.Eval(p, `[...document.querySelectorAll('[data-test=kb-article]')].map((a) => a.textContent)`, &titles)
	if len(titles) != 1 || titles[0] != "投注站设备故障报修流程" {
		t.Errorf("the agent's article list %q", titles)
	}
	var bases struct{ Items []knowledge.Base }
	o.do(t, "GET", "/api/v1/knowledge/bases", agent, nil, &bases)
	if len(bases.Items) != 1 {
		t.Errorf("the agent reads %d bases", len(bases.Items))
	}
	for _, hidden := range []int64{expired, inner} {
		b.Open(p, base+"/#/kb/articles/"+strconv.FormatInt(hidden, 10))
		b.Wait(p, ".el-alert:has-text('没有找到')", 5*time.Second)
	}
	b.Open(p, base+"/#/kb")
	b.Wait(p, "[data-test=kb-article]", 5*time.Second)
	if present(b, p, "[data-test=kb-new-base], [data-test=kb-write], [data-test=kb-new-dir]") {
		t.Error("the agent is offered an editor's buttons")
	}
	b.Shot(p, "kb-05-agent-browses")

	// The editor's next version: the published text stays live; the
	// history compares the draft with it line by line.
	page := base + "/#/kb/articles/" + strconv.FormatInt(id, 10)
	asUser(t, b, o, p, base, "zhangbian", "/#/kb/articles/"+strconv.FormatInt(id, 10)+"/edit")
	b.Wait(p, "[data-test=kb-body] p:has-text('仍不能出票')", 10*time.Second)
	b.Click(p, "[data-test=kb-body] p:has-text('仍不能出票')")
	b.Press(p, "End")
	typ("必要时转维修部。")
	b.Click(p, "[data-test=kb-save]")
	b.Wait(p, ".el-message:has-text('草稿已保存')", 5*time.Second)
	b.Open(p, page)
	b.Wait(p, "[data-test=kb-pending]:has-text('草稿')", 5*time.Second)
	b.Click(p, "[data-test=kb-history]")
	b.Wait(p, "[data-test=kb-versions] [data-test=kb-compare]", 5*time.Second)
	b.Click(p, "[data-test=kb-versions] [data-test=kb-compare]")
	b.Wait(p, "[data-test=kb-diff] ins:has-text('必要时转维修部')", 5*time.Second)
	b.Wait(p, "[data-test=kb-diff] del:has-text('仍不能出票的登记报修。')", 2*time.Second)
	b.Shot(p, "kb-06-history-diff")
	var q knowledge.SearchReply
	o.do(t, "GET", "/api/v1/knowledge/search?q="+url.QueryEscape("投注站 报修"), agent, nil, &q)
	if len(q.Items) != 1 || strings.Contains(q.Items[0].Snippet, "维修部") {
		t.Errorf("a draft changed what agents find: %+v", q.Items)
	}

	// 下架: a publisher takes the article out; agents no longer find it.
	asUser(t, b, o, p, base, "supervisor1", "/#/kb/articles/"+strconv.FormatInt(id, 10))
	b.Click(p, "[data-test=kb-unpublish]")
	b.Click(p, ".el-message-box .el-button--primary")
	b.Wait(p, "[data-test=kb-not-live]:has-text('未发布')", 5*time.Second)
	o.do(t, "GET", "/api/v1/knowledge/search?q="+url.QueryEscape("投注站 报修"), agent, nil, &q)
	if len(q.Items) != 0 {
		t.Errorf("an unpublished article is found: %+v", q.Items)
	}
}
