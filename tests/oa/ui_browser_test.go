package oa_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/oaui"
	"github.com/yimen/yimen/tests/browserdriver"
	"github.com/yimen/yimen/tests/testpbx"
)

// startUIBrowser starts Chromium at 1366×768 for the OA's embedded UI; a
// test binary built without `make ui` skips (or under CI fails).
func startUIBrowser(t *testing.T) *browserdriver.Browser {
	t.Helper()
	if !oaui.New(nil).Built() {
		sipp.SkipUnlessCI(t, fmt.Errorf("the OA web UI is not built into this test binary: run make ui"))
	}
	return browserdriver.Start(t, browserdriver.Options{Driver: testpbx.RepoPath("tests/browser/driver.mjs"),
		Modules: testpbx.RepoPath("oa/web"), Width: 1366, Height: 768})
}

// ring tells the OA a queue call rings agent a1001, as the CTI link would,
// and returns the screen pop the agent bar receives for it.
func ring(t *testing.T, o *oaProc, call, caller string, vars map[string]string) protocol.ScreenPop {
	t.Helper()
	d := protocol.CallRinging{Call: call, Agent: "a1001", Queue: "hotline", Caller: caller, WaitS: 3, Vars: vars}
	b, _ := json.Marshal(d)
	env := protocol.Envelope{V: 1, Type: protocol.EventCallRinging, Seq: 1, TS: protocol.Timestamp(time.Now()), Tenant: "demo", Data: b}
	r, err := o.Service.ApplyEvent(context.Background(), "demo", "ui-test", env)
	if err != nil || r == nil {
		t.Fatalf("ringing: %v %v", r, err)
	}
	card, err := o.Service.BuildCard(context.Background(), "demo", d, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return o.Service.ScreenPop(card)
}

type myCounts struct{ Mine, Department, Created, Watched int }

// The flow in the browser: the screen pop's link → a new customer
// with the caller's number → a ticket for the call → 派单 → 签收 → 办理 →
// 办结 → 回访 with a result; a field's 400 beside the field, an action the
// state no longer allows refused in plain words, 我的工单's counts moving.
func TestOAUIScreenPopToReturnVisit(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	loginAs := func(name string) {
		t.Helper()
		b.Wait(p, "#l-name", 10*time.Second)
		b.Fill(p, "#l-name", name)
		b.Fill(p, "#l-pass", o.Passwords[name])
		b.Click(p, "button[type=submit]")
	}
	logout := func() {
		t.Helper()
		b.Click(p, "header button:has-text('退出')")
		b.Wait(p, "#l-name", 5*time.Second)
	}
	count := func(tab string) string {
		t.Helper()
		b.Wait(p, "[data-test=count-"+tab+"]:not(:has-text('–'))", 5*time.Second)
		return strings.TrimSpace(b.Text(p, "[data-test=count-"+tab+"]"))
	}
	state := func(want string) {
		t.Helper()
		b.Wait(p, "[data-test=state]:has-text('"+want+"')", 5*time.Second)
	}
	act := func(action string) {
		t.Helper()
		b.Click(p, "[data-test=act-"+action+"]")
		b.Wait(p, "[data-test=action-form]", 5*time.Second)
	}
	pick := func(sel, option string) {
		t.Helper()
		b.Click(p, ".el-select__wrapper:has("+sel+")")
		b.Click(p, ".el-select-dropdown__item:visible:has-text('"+option+"')")
	}

	// The agent logs in; nothing is theirs yet.
	b.Open(p, base+"/")
	loginAs("agent1001")
	b.Wait(p, "[data-test=tab-mine]", 5*time.Second)
	if c := count("created"); c != "0" {
		t.Fatalf("created count before: %s", c)
	}
	b.Shot(p, "01-my-tickets")

	// An unknown caller rings: the pop's link opens the new-customer form
	// with the call (number masked), in the OA this server serves.
	pop := ring(t, o, "c-ui-1", "+86 139 1234 5678", map[string]string{"outlet": "11010001"})
	if !strings.HasPrefix(pop.URL, o.cfg.Business.BaseURL+"/#/customers/new?call=c-ui-1") {
		t.Fatalf("screen pop link %q", pop.URL)
	}
	b.Open(p, base+strings.TrimPrefix(pop.URL, o.cfg.Business.BaseURL))
	b.Wait(p, "[data-test=call]:has-text('139****5678')", 5*time.Second)
	if body := b.Text(p, "main"); strings.Contains(body, "13912345678") {
		t.Error("the page shows the caller's full number to an agent")
	}
	b.Fill(p, "#cu-name", "王五")
	b.Click(p, "[data-test=save-customer]")
	b.Wait(p, "[data-test=card] [data-test=phones]:has-text('139****5678')", 5*time.Second)
	b.Shot(p, "02-customer-from-pop")

	// A ticket for this call: the call and the customer come with it.
	b.Click(p, "[data-test=new-ticket]")
	b.Wait(p, "[data-test=from-call] [data-test=caller]:has-text('139****5678')", 5*time.Second)
	b.Wait(p, "[data-test=from-call] [data-test=customer]:has-text('王五')", 5*time.Second)
	if v := b.Text(p, "[data-test=from-call]"); !strings.Contains(v, "c-ui-1") {
		t.Errorf("call not shown: %q", v)
	}
	var outlet string
	b.Eval(p, `document.querySelector('#tk-outlet').value`, &outlet)
	if outlet != "11010001" {
		t.Errorf("outlet from the IVR: %q", outlet)
	}
	// Without a title the server's field message stands beside the title.
	pick("#tk-cat", "网点报修")
	b.Click(p, "[data-test=create]")
	b.Wait(p, ".el-form-item:has(#tk-title) .el-form-item__error:has-text('required')", 5*time.Second)
	b.Shot(p, "03-field-error")
	b.Fill(p, "#tk-title", "终端无法出票")
	b.Fill(p, "#tk-fault", "打印机卡纸")
	b.Click(p, "[data-test=create]")
	state("受理")
	var id int64
	b.Eval(p, `Number(location.hash.split('/').pop())`, &id)
	var tk oa.Ticket
	agentTok := o.login(t, "agent1001")
	if o.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d", id), agentTok, nil, &tk) != 200 || tk.CallID != "c-ui-1" || tk.Caller != "139****5678" || tk.OutletNo != "11010001" || tk.CustomerID == 0 {
		t.Fatalf("ticket as stored: %+v", tk)
	}

	// 派单 to 维修部.
	act("dispatch")
	pick("#act-dep", "维修部")
	b.Click(p, "[data-test=action-submit]")
	state("已派单")
	b.Wait(p, "[data-test=timeline]:has-text('派单')", 5*time.Second)
	b.Shot(p, "04-dispatched")
	b.Click(p, "nav a:has-text('我的工单')")
	b.Click(p, "[data-test=tab-created]")
	b.Wait(p, fmt.Sprintf("[data-test=ticket-%d]", id), 5*time.Second)
	if c := count("created"); c != "1" {
		t.Errorf("created count after: %s", c)
	}
	logout()

	// The repair department signs, handles and resolves it; the dispatch
	// is among its notifications.
	loginAs("handler1")
	b.Wait(p, "[data-test=tab-department]", 5*time.Second)
	b.Wait(p, "[data-test=bell][aria-label^='1 ']", 5*time.Second)
	b.Click(p, "[data-test=bell]")
	b.Wait(p, fmt.Sprintf("[data-test=notes] li.unread:has-text('工单 #%d')", id), 5*time.Second)
	b.Press(p, "Escape")
	if c := count("department"); c != "1" {
		t.Errorf("department count: %s", c)
	}
	b.Click(p, "[data-test=tab-department]")
	b.Click(p, fmt.Sprintf("[data-test=ticket-%d]", id))
	state("已派单")
	act("sign")
	b.Click(p, "[data-test=action-submit]")
	state("已签收")
	// A supervisor's 督办 reaches the open page at once (the stream).
	sup := o.login(t, "supervisor1")
	if code := o.do(t, "POST", fmt.Sprintf("/api/v1/tickets/%d/transitions", id), sup, map[string]any{"action": "supervise", "comment": "客户催办"}, nil); code != 200 {
		t.Fatalf("supervise: %d", code)
	}
	var note string
	for deadline := time.Now().Add(3 * time.Second); !strings.Contains(note, "被督办") && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b.Eval(p, `document.querySelector('[data-test=latest-note]').textContent`, &note)
	}
	if !strings.Contains(note, "被督办") {
		t.Errorf("the 督办 did not reach the open page: latest notification %q", note)
	}
	var unread string
	b.Eval(p, `document.querySelector('[data-test=bell]').getAttribute('aria-label')`, &unread)
	if strings.HasPrefix(unread, "1 ") || strings.HasPrefix(unread, "0 ") {
		t.Errorf("bell after the 督办: %q", unread)
	}
	act("handle")
	b.Fill(p, "#act-comment", "已联系网点，上门检修")
	b.Click(p, "[data-test=action-submit]")
	state("办理中")
	// An attachment, uploaded and listed.
	b.Eval(p, `(() => { const i = document.querySelector('[data-test=upload]'); const d = new DataTransfer();
		d.items.add(new File(['维修单 #1'], 'repair.txt', { type: 'text/plain' })); i.files = d.files; i.dispatchEvent(new Event('change')); return true })()`, nil)
	b.Wait(p, "[data-test=attachments] :has-text('repair.txt')", 5*time.Second)
	// Meanwhile a colleague resolves it elsewhere: the 办理 button on this
	// page is stale, and pressing it is refused in plain words.
	handlerTok := o.login(t, "handler1")
	if code := o.do(t, "POST", fmt.Sprintf("/api/v1/tickets/%d/transitions", id), handlerTok, map[string]any{"action": "resolve", "comment": "更换打印机"}, nil); code != 200 {
		t.Fatalf("resolve behind the page: %d", code)
	}
	act("handle")
	b.Click(p, "[data-test=action-submit]")
	b.Wait(p, "[data-test=action-error]:has-text('操作被拒绝')", 5*time.Second)
	if msg := b.Text(p, "[data-test=action-error]"); !strings.Contains(msg, "工单已是「已办结」，不能办理") {
		t.Errorf("refusal says %q", msg)
	}
	b.Shot(p, "05-illegal-action-refused")
	b.Press(p, "Escape")
	state("已办结")
	logout()

	// 回访 by the agent: the result recorded, the ticket visited.
	loginAs("agent1001")
	b.Wait(p, "[data-test=tab-mine]", 5*time.Second)
	b.Open(p, fmt.Sprintf("%s/#/tickets/%d", base, id))
	state("已办结")
	act("visit")
	b.Wait(p, "[data-test=visit-call]", 5*time.Second)
	b.Click(p, "[data-test=sat-5]")
	b.Fill(p, "#act-comment", "客户表示满意")
	b.Click(p, "[data-test=action-submit]")
	state("已回访")
	b.Wait(p, "[data-test=satisfaction]:has-text('非常满意')", 5*time.Second)
	// The page as the agent sees it once the 回访 dialog has faded out.
	var closed bool
	b.Eval(p, `(async () => {
		for (let i = 0; i < 50; i++) {
			if (![...document.querySelectorAll('.el-overlay')].some((o) => getComputedStyle(o).display !== 'none')) return true
			await new Promise((r) => setTimeout(r, 100))
		}
		return false
	})()`, &closed)
	if !closed {
		t.Error("the 回访 dialog is still open after its action succeeded")
	}
	b.Shot(p, "06-visited")
	if o.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d", id), agentTok, nil, &tk); tk.State != oa.StateVisited || tk.Satisfaction == nil || *tk.Satisfaction != 5 {
		t.Fatalf("visited: %+v", tk)
	}
	var counts myCounts
	o.do(t, "GET", "/api/v1/my/counts", agentTok, nil, &counts)
	b.Click(p, "nav a:has-text('我的工单')")
	if c := count("created"); c != fmt.Sprint(counts.Created) {
		t.Errorf("created count %s, API %d", c, counts.Created)
	}
}

// The query screens as a supervisor: numbers in full for this role (an
// agent sees them masked), 工单查询's filters, a saved query brought back,
// the Excel export with its progress to the end, 联系记录查询's field error
// beside the field, and the same screens in English.
func TestOAUIQueriesExportAndMaskingPerRole(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	agent := o.login(t, "agent1001")
	var cust oa.Customer
	if code := o.do(t, "POST", "/api/v1/customers", agent, map[string]any{"name": "赵六", "vip": true, "phones": []map[string]string{{"number": "13700137000"}}}, &cust); code != 201 {
		t.Fatalf("customer: %d", code)
	}
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", agent, nil, &cats)
	for i, title := range []string{"彩票兑奖咨询", "终端黑屏", "终端卡纸"} {
		var tk oa.Ticket
		if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"title": title, "category_id": cats.Items[i%2].ID, "customer_id": cust.ID, "priority": "high"}, &tk); code != 201 {
			t.Fatalf("ticket: %d", code)
		}
	}

	// An agent sees the number masked on the card. The login form is in
	// reading order for the keyboard, every field named by its label.
	b.Open(p, fmt.Sprintf("%s/#/customers/%d", base, cust.ID))
	b.Wait(p, "#l-name", 10*time.Second)
	b.Eval(p, `document.querySelector('#l-tenant').focus(), true`, nil)
	var order []string
	for range 4 {
		b.Press(p, "Tab")
		var id string
		b.Eval(p, `document.activeElement.id || document.activeElement.getAttribute('type') || document.activeElement.tagName`, &id)
		order = append(order, id)
	}
	if strings.Join(order, " ") != "l-name l-pass l-totp submit" {
		t.Errorf("tab order on the login form: %v", order)
	}
	var unlabelled int
	b.Eval(p, `[...document.querySelectorAll('input')].filter(i => !document.querySelector('label[for="' + i.id + '"]')).length`, &unlabelled)
	if unlabelled != 0 {
		t.Errorf("%d login fields without a label", unlabelled)
	}
	b.Fill(p, "#l-name", "agent1001")
	b.Fill(p, "#l-pass", o.Passwords["agent1001"])
	b.Click(p, "button[type=submit]")
	b.Wait(p, "[data-test=card] [data-test=phones]:has-text('137****7000')", 5*time.Second)
	b.Wait(p, "[data-test=customer-tickets] li >> nth=2", 5*time.Second)
	// A follow-up noted on the card.
	b.Fill(p, "#cu-note", "约定周五上门回访")
	b.Click(p, "form:has(#cu-note) button[type=submit]")
	b.Wait(p, "[data-test=followups] li:has-text('约定周五上门回访'):has-text('agent1001')", 5*time.Second)
	b.Click(p, "header button:has-text('退出')")

	// The supervisor finds the customer by any form of the number (the list
	// is masked for everyone) and sees it in full on the card.
	b.Wait(p, "#l-name", 5*time.Second)
	b.Fill(p, "#l-name", "supervisor1")
	b.Fill(p, "#l-pass", o.Passwords["supervisor1"])
	b.Click(p, "button[type=submit]")
	b.Wait(p, "[data-test=tab-mine]", 5*time.Second)
	b.Click(p, "nav a:has-text('客户查询')")
	b.Fill(p, "#cq-phone", "+86 137 0013 7000")
	b.Click(p, "form button[type=submit]")
	b.Wait(p, "[data-test=customers] td:has-text('137****7000')", 5*time.Second)
	b.Click(p, "[data-test=customers] a:has-text('赵六')")
	b.Wait(p, "[data-test=card] [data-test=phones]:has-text('13700137000')", 5*time.Second)
	b.Shot(p, "01-customer-supervisor")

	// 工单查询: words in the title narrow it; saved, reset, brought back.
	b.Click(p, "nav a:has-text('工单查询')")
	b.Wait(p, "[data-test=tickets] tbody tr >> nth=2", 5*time.Second)
	b.Fill(p, "#f-q", "终端")
	b.Click(p, "[data-test=search]")
	b.Wait(p, ".el-pagination__total:has-text('2')", 5*time.Second)
	b.Fill(p, "#sq-name", "终端故障")
	b.Click(p, "[data-test=saved-save]")
	b.Click(p, "form button:has-text('重置')")
	b.Wait(p, ".el-pagination__total:has-text('3')", 5*time.Second)
	b.Click(p, ".el-select__wrapper:has(#sq-pick)")
	b.Click(p, ".el-select-dropdown__item:visible:has-text('终端故障')")
	b.Wait(p, ".el-pagination__total:has-text('2')", 5*time.Second)
	var q string
	b.Eval(p, `document.querySelector('#f-q').value`, &q)
	if q != "终端" {
		t.Errorf("saved query brought back %q", q)
	}
	// Sorting is the server's: by number, descending, the newest first.
	b.Click(p, "[data-test=tickets] th:has-text('编号') .sort-caret.descending")
	b.Wait(p, "[data-test=tickets] tbody tr:first-child:has-text('终端卡纸')", 5*time.Second)
	// The export runs to the end with its progress shown.
	b.Click(p, "[data-test=export]")
	b.Wait(p, "[data-test=export-progress]:has-text('已导出 2 行')", 10*time.Second)
	b.Shot(p, "02-ticket-query-export")

	// 联系记录查询: a call's record takes the agent's notes and disposition;
	// a number that is none is refused beside the field.
	ring(t, o, "c-q-1", "13800138000", nil)
	b.Click(p, "nav a:has-text('联系记录查询')")
	b.Wait(p, "[data-test=contacts] td:has-text('138****8000')", 5*time.Second)
	b.Click(p, "[data-test=contacts] tbody tr:first-child button:has-text('编辑')")
	b.Wait(p, "[data-test=contact-form]", 5*time.Second)
	b.Click(p, ".el-select__wrapper:has(#cn-code)")
	b.Click(p, ".el-select-dropdown__item:visible:has-text('需回电')")
	b.Fill(p, "#cn-notes", "客户要求明天上午回电")
	b.Click(p, "[data-test=contact-save]")
	b.Wait(p, "[data-test=contacts] td:has-text('客户要求明天上午回电')", 5*time.Second)
	b.Wait(p, "[data-test=contacts] td:has-text('callback')", 5*time.Second)
	b.Fill(p, "#c-phone", "anonymous")
	b.Click(p, "[data-test=search]")
	b.Wait(p, "[data-test=phone-error]:has-text('not a telephone number')", 5*time.Second)
	b.Shot(p, "03-contacts-field-error")

	// 密码修改: each refusal beside its field, then the change, and the new
	// password logs in.
	b.Click(p, "nav a:has-text('密码修改')")
	b.Fill(p, "#pw-old", "not-it")
	b.Fill(p, "#pw-new", "Hotline-2026!")
	b.Fill(p, "#pw-again", "Hotline-2026!")
	b.Click(p, "form button[type=submit]")
	b.Wait(p, ".el-form-item:has(#pw-old) .el-form-item__error:has-text('原密码不正确')", 5*time.Second)
	b.Fill(p, "#pw-old", o.Passwords["supervisor1"])
	b.Fill(p, "#pw-new", "short")
	b.Fill(p, "#pw-again", "short")
	b.Click(p, "form button[type=submit]")
	b.Wait(p, ".el-form-item:has(#pw-new) .el-form-item__error:has-text('新密码太短')", 5*time.Second)
	b.Shot(p, "04-password-rule")
	b.Fill(p, "#pw-new", "Hotline-2026!")
	b.Fill(p, "#pw-again", "Hotline-2026!")
	b.Click(p, "form button[type=submit]")
	b.Wait(p, ".el-message:has-text('密码已修改')", 5*time.Second)
	var s struct{ Token string }
	if code := o.do(t, "POST", "/api/v1/login", "", map[string]any{"tenant": "demo", "name": "supervisor1", "password": "Hotline-2026!", "bearer": true}, &s); code != 200 {
		t.Errorf("login with the new password: %d", code)
	}

	// In English.
	b.Click(p, "header button:has-text('English')")
	b.Wait(p, "nav a:has-text('Contact records')", 5*time.Second)
	b.Click(p, "nav a:has-text('My tickets')")
	b.Wait(p, "[data-test=tab-created]:has-text('Created by me')", 5*time.Second)
	b.Shot(p, "05-english")
}

// One login in the browser: a link carrying a token the PBX issued to a
// logged-in agent (as the agent bar opens the OA) opens the OA signed in
// as that agent, straight on the linked screen, the token gone from the
// address; the same link again is refused and asks for a password.
func TestOAUIOneLoginLink(t *testing.T) {
	p := testpbx.Start(t)
	o := startOA(t, p)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const pg = "oa"

	pc := testpbx.NewClient(t, p, "")
	sys := pc.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := pc.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	id, session := pc.NewUser(sys, "demo", "wangfang")
	pc.Assign(sec, id, "agent", nil, "a1001")
	r := pc.Do("POST", "/api/v1/sso/token", session, map[string]string{"audience": "oa"}, nil)
	if r.Code != 200 {
		t.Fatalf("sso token: %d %s", r.Code, r.Body)
	}
	var issued struct{ Token string }
	r.JSON(t, &issued)

	link := base + "/#/tickets/new?sso=" + issued.Token
	b.Open(pg, link)
	b.Wait(pg, "[data-test=who]:has-text('wangfang')", 10*time.Second)
	b.Wait(pg, "#tk-title", 5*time.Second)
	var hash string
	b.Eval(pg, `location.hash`, &hash)
	if hash != "#/tickets/new" {
		t.Errorf("address after one login: %q", hash)
	}
	b.Shot(pg, "01-one-login")
	// Another tab of the same browser shares the session (the screen pop
	// opens one per call).
	b.Open("second", base+"/#/my")
	b.Wait("second", "[data-test=tab-mine]", 5*time.Second)

	// Used once: the same link now lands on the password form, saying why.
	b.Eval(pg, `localStorage.clear(), true`, nil)
	b.Open(pg, link)
	b.Wait(pg, "#l-name", 5*time.Second)
	b.Wait(pg, "[role=alert]:has-text('单点登录失败')", 5*time.Second)
	b.Shot(pg, "02-one-login-refused")
}

// The whole path in the browser: a SIPp caller rings agent a1002's desk
// phone through the IVR and the queue; the OA pops the unknown caller on
// the agent bar; the agent follows the pop's link (the bar mints a
// one-login token for it) and lands in the OA signed in, on the new
// customer form for that call; the customer and a ticket for the call are
// made there, the ticket linked to the call's contact record.
func TestOAUIFromTheAgentBarsScreenPop(t *testing.T) {
	sipp.Require(t)
	p := hotlinePBX(t, func(c *config.Config) { c.WebRTC.Disabled = true }) // a desk phone (SIPp) answers
	o := startOA(t, p)
	// The pop's links name this OA (the harness starts it on a port of its own).
	o.stop(t)
	o.cfg.Business.BaseURL = "http://" + o.cfg.HTTP.Addr
	o.start(t)
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })
	b := startUIBrowser(t)

	pc := testpbx.NewClient(t, p, "")
	sys := pc.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := pc.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	id, session := pc.NewUser(sys, "demo", "lifang")
	pc.Assign(sec, id, "agent", nil, "a1002")
	b.Open("bar", "http://"+p.HTTPAddr()+"/agent/#token="+session)
	b.Wait("bar", "[data-test=state][data-state=ready]", 10*time.Second)

	p.Callee(t, "1002", "127.0.41.2", "uas_answer.xml", false, map[string]string{"ring_ms": "1000", "hangup_ms": "15000"})
	done := make(chan *sipp.Result, 1)
	go func() { done <- p.Call(t, "1001", "127.0.41.1", caller(t, 500), "8000", nil) }()
	b.Wait("bar", "[data-test=screenpop] a", 20*time.Second)
	b.Shot("bar", "01-agent-bar-pop")
	// The tab the link opens is the OA's: the bar's window.open is watched
	// to learn where it sends it, and the test opens that page.
	b.Eval("bar", `(() => { window.open = () => (window.oaTab = { opener: {}, location: { href: '' } }); return true })()`, nil)
	b.Click("bar", "[data-test=screenpop] a")
	var link string
	for deadline := time.Now().Add(5 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b.Eval("bar", `window.oaTab ? window.oaTab.location.href : ''`, &link)
	}
	if !strings.HasPrefix(link, o.cfg.Business.BaseURL+"/#/customers/new?call=") || !strings.Contains(link, "&sso=") {
		t.Fatalf("the pop's link as followed: %q", link)
	}
	callID := strings.TrimPrefix(strings.Split(link, "&")[0], o.cfg.Business.BaseURL+"/#/customers/new?call=")

	b.Open("oa", link)
	b.Wait("oa", "[data-test=who]:has-text('lifang')", 10*time.Second)
	b.Wait("oa", "[data-test=call]:has-text('热线'), [data-test=call]:has-text('support')", 5*time.Second)
	b.Fill("oa", "#cu-name", "钱八")
	b.Click("oa", "[data-test=save-customer]")
	b.Wait("oa", "[data-test=card]", 5*time.Second)
	b.Click("oa", "[data-test=new-ticket]")
	b.Wait("oa", "[data-test=from-call]:has-text('"+callID+"')", 5*time.Second)
	b.Fill("oa", "#tk-title", "网点终端无法开机")
	b.Click("oa", ".el-select__wrapper:has(#tk-cat)")
	b.Click("oa", ".el-select-dropdown__item:visible:has-text('网点报修')")
	b.Click("oa", "[data-test=create]")
	b.Wait("oa", "[data-test=state]:has-text('受理')", 5*time.Second)
	b.Shot("oa", "02-ticket-from-the-bar")
	var tid int64
	b.Eval("oa", `Number(location.hash.split('/').pop())`, &tid)
	sup := o.login(t, "supervisor1")
	var tk oa.Ticket
	if o.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d", tid), sup, nil, &tk); tk.CallID != callID || tk.ContactID == 0 || tk.CustomerID == 0 || tk.OutletNo != "11010001" {
		t.Errorf("ticket %+v, call %s", tk, callID)
	}
	if res := <-done; res.Check(1) != nil {
		t.Fatalf("caller: %v", res.Check(1))
	}
}

// The detours of the state machine from the ticket's page, each by the
// user whose turn it is: 延期 asked (the clock pauses) and granted, 督办,
// 退单 with its reason (the creator is told), 派单 again, 转办 to another
// department, 办结 and 重办. Each user's session is opened through the API
// and handed to the page; the login form is tested above.
func TestOAUITicketDetours(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	agent := o.login(t, "agent1001")
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", agent, nil, &cats)
	var deps struct{ Items []oa.Department }
	o.do(t, "GET", "/api/v1/departments", agent, nil, &deps)
	repair := int64(0)
	for _, d := range deps.Items {
		if d.Name == "维修部" {
			repair = d.ID
		}
	}
	var tk oa.Ticket
	if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"title": "投注机屏幕闪烁", "category_id": cats.Items[0].ID}, &tk); code != 201 {
		t.Fatalf("ticket: %d", code)
	}
	if code := o.do(t, "POST", fmt.Sprintf("/api/v1/tickets/%d/transitions", tk.ID), agent, map[string]any{"action": "dispatch", "department_id": repair}, nil); code != 200 {
		t.Fatalf("dispatch: %d", code)
	}
	page := fmt.Sprintf("%s/#/tickets/%d", base, tk.ID)
	as := func(name string) {
		t.Helper()
		tok := o.login(t, name)
		b.Open(p, base+"/healthz") // this origin, another document: the page starts afresh
		b.Eval(p, fmt.Sprintf(`localStorage.setItem('yimen.oa.session', JSON.stringify({token: %q, tenant: 'demo', name: %q})), true`, tok, name), nil)
		b.Open(p, page)
		b.Wait(p, "[data-test=who]:has-text('"+name+"')", 5*time.Second)
	}
	labels := map[string]string{"sign": "签收", "extend": "申请延期", "extend_approve": "批准延期", "supervise": "督办", "return": "退单",
		"dispatch": "派单", "transfer": "转办", "resolve": "办结", "reopen": "重办"}
	do := func(action string, fill map[string]string, pick string) {
		t.Helper()
		b.Click(p, "[data-test=act-"+action+"]")
		b.Wait(p, "[data-test=action-form]", 5*time.Second)
		for sel, v := range fill {
			b.Fill(p, sel, v)
		}
		if pick != "" {
			b.Click(p, ".el-select__wrapper:has(#act-dep)")
			b.Click(p, ".el-select-dropdown__item:visible:has-text('"+pick+"')")
		}
		b.Click(p, "[data-test=action-submit]")
		b.Wait(p, ".el-message:has-text('"+labels[action]+"成功')", 5*time.Second)
	}
	state := func(want string) {
		t.Helper()
		b.Wait(p, "[data-test=state]:has-text('"+want+"')", 5*time.Second)
	}

	as("handler1")
	do("sign", nil, "")
	state("已签收")
	do("extend", map[string]string{"#act-extra": "4h", "#act-comment": "等厂家配件"}, "")
	b.Wait(p, "[data-test=sla]:has-text('已暂停')", 5*time.Second)
	b.Wait(p, ".el-tag:has-text('延期申请待审批')", 5*time.Second)
	var offered []string
	b.Eval(p, `[...document.querySelectorAll('[data-test=actions] button')].map(b => b.dataset.test)`, &offered)
	if strings.Contains(strings.Join(offered, " "), "act-extend_approve") {
		t.Errorf("the handler is offered approving their own extension: %v", offered)
	}

	as("supervisor1")
	do("extend_approve", nil, "")
	b.Wait(p, "[data-test=sla]:not(:has-text('已暂停'))", 5*time.Second)
	do("supervise", map[string]string{"#act-comment": "客户第三次来电，今日办结"}, "")
	b.Wait(p, ".el-tag:has-text('已督办')", 5*time.Second)
	b.Shot(p, "01-extended-and-supervised")

	as("handler1")
	do("return", map[string]string{"#act-comment": "非本部门设备，应由市场部处理"}, "")
	state("已退单")
	b.Wait(p, "[data-test=timeline]:has-text('非本部门设备')", 5*time.Second)

	as("agent1001")
	b.Click(p, "[data-test=bell]")
	b.Wait(p, fmt.Sprintf("[data-test=notes] li:has-text('工单 #%d 被退单')", tk.ID), 5*time.Second)
	b.Press(p, "Escape")
	do("dispatch", nil, "维修部")
	state("已派单")

	as("handler1")
	do("transfer", map[string]string{"#act-comment": "转市场部"}, "市场部")
	b.Wait(p, "[data-test=department]:has-text('市场部')", 5*time.Second)
	state("已派单")

	as("supervisor1")
	do("sign", nil, "")
	do("resolve", map[string]string{"#act-comment": "已更换屏幕"}, "")
	state("已办结")
	do("reopen", map[string]string{"#act-comment": "客户反映仍闪烁"}, "")
	state("办理中")
	b.Shot(p, "02-reopened")

	// Another report of the same fault: linked, then closed as its duplicate.
	var dup oa.Ticket
	if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"title": "屏幕又闪了", "category_id": cats.Items[0].ID}, &dup); code != 201 {
		t.Fatalf("duplicate: %d", code)
	}
	b.Fill(p, "#tk-other", fmt.Sprint(dup.ID))
	b.Click(p, "form:has(#tk-other) button[type=submit]")
	b.Wait(p, fmt.Sprintf("[data-test=related] a:has-text('#%d')", dup.ID), 5*time.Second)
	b.Open(p, fmt.Sprintf("%s/#/tickets/%d", base, dup.ID))
	b.Fill(p, "#tk-merge", fmt.Sprint(tk.ID))
	b.Click(p, "[data-test=merge]")
	b.Wait(p, fmt.Sprintf("[data-test=merged]:has-text('#%d')", tk.ID), 5*time.Second)
	state("已归档")
	b.Shot(p, "03-merged")

	var ev struct {
		Events []oa.TicketEvent
	}
	o.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), agent, nil, &ev)
	var acts []string
	for _, e := range ev.Events {
		acts = append(acts, e.Action)
	}
	if got := strings.Join(acts, " "); got != "create dispatch sign extend extend_approve supervise return dispatch transfer sign resolve reopen merged" {
		t.Errorf("timeline %s", got)
	}
}
