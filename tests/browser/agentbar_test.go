package browser

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

const queueFlow = `start:
  answer
  queue hotline timeout 60s:
    timeout: goto bye
  goto bye

bye:
  hangup
`

// floor starts a PBX with two agents (a1001 on 1001, a1002 on 1002) in the
// queue hotline, reached by dialling 8000, and the tenant's not-ready
// reasons (小休 up to 15 minutes, 会议, 培训, 用餐 up to 45).
func floor(t *testing.T, more ...testpbx.Option) *testpbx.PBX {
	t.Helper()
	flows := t.TempDir()
	if err := os.WriteFile(filepath.Join(flows, "q.ivr"), []byte(queueFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	return testpbx.Start(t, func(c *config.Config) {
		c.IVR = config.IVR{Flows: flows, Prompts: testpbx.RepoPath("configs/prompts")}
		c.Tenants[0].IVR = map[string]string{"8000": "q"}
		c.Tenants[0].Agents = []config.Agent{{ID: "a1001", Name: "王芳", Extension: "1001"}, {ID: "a1002", Name: "李强", Extension: "1002"}}
		c.Tenants[0].Queues = map[string]config.Queue{"hotline": {Name: "12345 热线", Strategy: "longest-idle", Agents: []string{"a1001", "a1002"},
			RingTimeout: 15 * time.Second, WrapUp: 30 * time.Second, SLThreshold: 20 * time.Second}}
		c.Tenants[0].AutoLogin = true
		c.Tenants[0].NotReadyReasons = []config.NotReadyReason{{Code: "小休", Max: 15 * time.Minute}, {Code: "会议"}, {Code: "培训"}, {Code: "用餐", Max: 45 * time.Minute}}
		// SIPp peers are killed, not hung up, when a test ends: do not wait
		// long for their calls.
		c.Calls.DrainTimeout = 500 * time.Millisecond
		// These agents work on desk phones (SIPp); the softphone test turns
		// WebRTC back on.
		c.WebRTC.Disabled = true
		for _, o := range more {
			o(c)
		}
	})
}

// account creates a user with a role bound to an agent (or none) and a
// password of the test's choosing, as an administrator would.
func account(t *testing.T, p *testpbx.PBX, name, role string, queues []string, agent string) (password string) {
	t.Helper()
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	r := c.Do("POST", "/api/v1/tenants/demo/users", sys, map[string]string{"name": name}, nil)
	if r.Code != http.StatusCreated {
		t.Fatalf("create %s: %d %s", name, r.Code, r.Body)
	}
	var u struct{ ID, Password string }
	r.JSON(t, &u)
	tok := c.Login("demo", name, u.Password)
	password = "Bar-" + u.Password
	if r := c.Do("POST", "/api/v1/password", tok, map[string]string{"old_password": u.Password, "new_password": password}, nil); r.Code != http.StatusNoContent {
		t.Fatalf("password of %s: %d %s", name, r.Code, r.Body)
	}
	c.Assign(sec, u.ID, role, queues, agent)
	return password
}

func agentState(t *testing.T, p *testpbx.PBX, id string) acd.AgentStatus {
	t.Helper()
	st, err := p.Contact.ACD.Agent(t.Context(), "demo", id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitACD polls the ACD (not the page) for the agent's state.
func waitACD(t *testing.T, p *testpbx.PBX, id string, want acd.State) acd.AgentStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := agentState(t, p, id)
		if st.State == want || time.Now().After(deadline) {
			if st.State != want {
				t.Fatalf("agent %s is %s (%s), want %s", id, st.State, st.Reason, want)
			}
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReason polls the ACD until the agent's reason is want.
func waitReason(t *testing.T, p *testpbx.PBX, id, want string) acd.AgentStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := agentState(t, p, id)
		if st.Reason == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s: %s (%s), want reason %s", id, st.State, st.Reason, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func base(p *testpbx.PBX) string { return "http://" + p.HTTPAddr() }

// call places a SIPp call from ext to to that stays on the line for talk (it is killed when the test ends).
func call(t *testing.T, p *testpbx.PBX, ext, to string, talk time.Duration) {
	t.Helper()
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIPAddr(), LocalIP: testpbx.Loopback(),
		User: ext, Password: p.Secrets[ext], Service: to, Dir: t.TempDir(), Timeout: talk + 20*time.Second,
		Vars: map[string]string{"talk_ms": fmt.Sprint(talk.Milliseconds())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
}

// signIn opens the agent bar, logs in and waits for the agent to show ready.
func signIn(b *browser, p *testpbx.PBX, name, pass string) {
	b.t.Helper()
	b.Open("bar", base(p)+"/agent/")
	b.Wait("bar", "#l-name", 10*time.Second)
	b.login("bar", name, pass)
	b.Wait("bar", "[data-test=state][data-state=ready]", 10*time.Second)
}

// An agent logs in with their account and goes not ready (with a reason)
// and ready again from the bar; the ACD's state follows each click.
func TestAgentBarLoginReadyNotReady(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	p := floor(t)
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	b := startBrowser(t)
	b.Open("bar", base(p)+"/agent/")
	b.Wait("bar", "#l-name", 5*time.Second)
	b.Shot("bar", "01-login")
	b.login("bar", "wangfang", pass)
	b.Wait("bar", "[data-test=state][data-state=ready]", 10*time.Second)
	if who := b.Text("bar", "[data-test=who]"); !strings.Contains(who, "王芳") || !strings.Contains(who, "1001") {
		t.Fatalf("bar shows %q, want the agent's name and extension", who)
	}
	b.Wait("bar", "[data-test=device]", time.Second)
	b.Shot("bar", "02-agent-ready")

	b.Click("bar", "[data-test=reason]")
	b.Click("bar", ".el-select-dropdown__item:has-text('会议')")
	b.Click("bar", "[data-test=notready]")
	b.Wait("bar", "[data-test=state][data-state=not_ready]", 3*time.Second)
	if st := waitACD(t, p, "a1001", acd.NotReady); st.Reason != "会议" {
		t.Fatalf("not ready for %q, want 会议", st.Reason)
	}
	if s := b.Text("bar", "[data-test=state]"); !strings.Contains(s, "未就绪") || !strings.Contains(s, "会议") {
		t.Fatalf("state badge %q", s)
	}
	b.Shot("bar", "03-agent-not-ready")
	b.Click("bar", "[data-test=ready]")
	b.Wait("bar", "[data-test=state][data-state=ready]", 3*time.Second)
	waitACD(t, p, "a1001", acd.Ready)

	b.Do(map[string]any{"op": "press", "page": "bar", "value": "F1"})
	b.Wait("bar", "[data-test=help]", 2*time.Second)
	time.Sleep(400 * time.Millisecond) // the dialog's fade-in, for the screenshot
	b.Shot("bar", "04-shortcuts-help")
	b.Do(map[string]any{"op": "press", "page": "bar", "value": "Escape"})

	// With WebRTC off on this PBX (webrtc.open is unavailable) the bar drives the desk phone.
	if d := b.Text("bar", "[data-test=device]"); d != "桌面话机" {
		t.Fatalf("device %q, want the desk phone", d)
	}
	// The self-test hears Chromium's fake microphone.
	b.Click("bar", "[data-test=diag]")
	b.Click("bar", "[data-test=mic-test]")
	deadline := time.Now().Add(5 * time.Second)
	for {
		var level float64
		json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "bar", "js": "document.querySelector('[data-test=mic-level]').value"}), &level)
		if level > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the microphone test shows no level from the fake device")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Shot("bar", "04b-self-test")
}

// A caller waits in the queue: the supervisor's wallboard shows the
// waiting call (and no service level yet: one offered, none answered is
// not 100 %), and an agent's state change, each within a second of the
// hub publishing it. A break the supervisor forces outlasts its reason's
// maximum (小休, 2 s here): the alert shows on the agent's tile.
func TestWallboardShowsWaitingCallAndStateChange(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	p := floor(t, func(c *config.Config) { c.Tenants[0].NotReadyReasons[0].Max = 2 * time.Second })
	pass := account(t, p, "banzhang", "supervisor", []string{"hotline"}, "")
	ctx := t.Context()
	// The supervisors' layout, saved on the PBX, leaves ASA out.
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	if r := c.Do("PUT", "/api/v1/wallboard/layouts/supervisor", sys, map[string]any{
		"tiles": []string{"waiting", "longest", "sl", "offered", "answered", "abandoned"}, "paging": false, "page_seconds": 15,
		"thresholds": map[string]any{"waiting_warn": 1, "waiting_crit": 5, "longest_warn_s": 30, "longest_crit_s": 60,
			"sl_warn": 0.8, "sl_crit": 0.6, "not_ready_warn_s": 900}}, nil); r.Code != http.StatusNoContent {
		t.Fatalf("save layout: %d %s", r.Code, r.Body)
	}
	for _, a := range []string{"a1001", "a1002"} {
		if err := p.Contact.ACD.NotReady(ctx, "demo", a, "培训"); err != nil {
			t.Fatal(err)
		}
	}
	b := startBrowser(t)
	b.Open("wall", base(p)+"/wallboard/")
	b.Wait("wall", "#l-name", 10*time.Second)
	b.login("wall", "banzhang", pass)
	b.Wait("wall", "[data-test=wb-agent][data-agent=a1001][data-state=not_ready]", 10*time.Second)
	b.Shot("wall", "05-wallboard-quiet")

	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	// The IVR answers and queues the caller, who stays on for 30 s.
	call(t, p, "1005", "8000", 30*time.Second)
	waitEvent(t, cl, protocol.EventQueueStats, func(d map[string]any) bool { return d["waiting"] == float64(1) })
	b.Wait("wall", "[data-queue=hotline] [data-tile=waiting] .value:text-is('1')", time.Second)
	b.Wait("wall", "[data-queue=hotline] [data-tile=offered] .value:text-is('1')", time.Second)
	b.Wait("wall", "[data-queue=hotline] [data-tile=sl] .value:text-is('—')", time.Second)
	// One waiting is amber by the saved layout's threshold; ASA is not shown.
	b.Wait("wall", "[data-queue=hotline] [data-tile=waiting].warn", time.Second)
	var asa int
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "wall", "js": "document.querySelectorAll('[data-tile=asa]').length"}), &asa)
	if asa != 0 {
		t.Fatalf("%d ASA tiles, the role's layout has none", asa)
	}
	b.Shot("wall", "06-wallboard-waiting-call")

	// An agent signs off: the tile changes state.
	if err := cl.Logout(ctx, "a1002"); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, cl, protocol.EventAgentState, func(d map[string]any) bool { return d["agent"] == "a1002" && d["state"] == "logged_out" })
	b.Wait("wall", "[data-test=wb-agent][data-agent=a1002][data-state=logged_out]", time.Second)
	b.Shot("wall", "07-wallboard-agent-logged-out")

	// From the agent's tile the supervisor forces a break: the ACD applies it.
	b.Click("wall", "[data-test=wb-agent][data-agent=a1001]")
	b.Wait("wall", "[data-test=wb-force]", 2*time.Second)
	time.Sleep(400 * time.Millisecond) // the dialog's fade-in, for the screenshot
	b.Shot("wall", "08-wallboard-supervisor-actions")
	b.Click("wall", "[data-test=wb-force]")
	if st := waitReason(t, p, "a1001", "小休"); st.State != acd.NotReady {
		t.Fatalf("forced: %+v", st)
	}
	b.Wait("wall", "[data-test=wb-agent][data-agent=a1001]:has-text('小休')", time.Second)

	// Two seconds on: the break is over its maximum.
	waitEvent(t, cl, protocol.EventAgentOverrun, func(d map[string]any) bool { return d["agent"] == "a1001" && d["reason"] == "小休" })
	b.Wait("wall", "[data-test=wb-agent][data-agent=a1001][data-overrun=true] [data-test=wb-overrun]", time.Second)
	b.Wait("wall", "[data-test=wb-alerts] [data-agent=a1001]:has-text('王芳')", time.Second)
	if st := agentState(t, p, "a1001"); !st.Overrun {
		t.Fatalf("the ACD does not flag the break: %+v", st)
	}
	b.Shot("wall", "08b-wallboard-break-overrun")
	// The agent leaves the break (signs off: ready, they would be offered
	// the waiting call on a phone this test does not have): the alert goes.
	if err := cl.Logout(ctx, "a1001"); err != nil {
		t.Fatal(err)
	}
	b.Wait("wall", "[data-test=wb-agent][data-agent=a1001][data-overrun=false][data-state=logged_out]", time.Second)
	var alerts int
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "wall", "js": "document.querySelectorAll('[data-test=wb-alerts] [data-agent]').length"}), &alerts)
	if alerts != 0 {
		t.Fatalf("%d overrun alerts after the agent is back", alerts)
	}
}

// A call to a desk-phone agent shows in the bar with a running timer and
// is hung up from the bar.
func TestDeskPhoneCallInTheBar(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	p := floor(t)
	pass := account(t, p, "liqiang", "agent", nil, "a1002")
	ip := testpbx.Loopback()
	p.Callee(t, "1002", ip, "uas_answer.xml", false, map[string]string{"hangup_ms": "60000"})
	b := startBrowser(t)
	signIn(b, p, "liqiang", pass)

	call(t, p, "1003", "1002", 60*time.Second)
	b.Wait("bar", "[data-test=call][data-phase=talking]", 10*time.Second)
	if party := b.Text("bar", "[data-test=party]"); party != "1003" {
		t.Fatalf("bar shows the other party as %q, want 1003", party)
	}
	// A call that reached the extension without a queue busies the agent
	// all the same: the ACD offers them nothing, the bar says so.
	if st := waitACD(t, p, "a1002", acd.OnCall); st.Reason != acd.ReasonExtension {
		t.Fatalf("agent on a call to their extension: %s (%s), want on_call (extension)", st.State, st.Reason)
	}
	b.Wait("bar", "[data-test=state][data-state=on_call]", 5*time.Second)
	if s := b.Text("bar", "[data-test=call]"); strings.Contains(s, "已等待") {
		t.Errorf("a call that never queued shows a queue wait: %q", s)
	}
	// The timer ticks each second: three seconds in it shows at least 0:02.
	time.Sleep(3 * time.Second)
	if tm := b.Text("bar", "[data-test=timer]"); tm == "0:00" || tm == "0:01" {
		t.Fatalf("call timer %q after three seconds", tm)
	}
	b.Shot("bar", "08-agent-on-call")
	b.Click("bar", "[data-test=hangup]")
	b.Wait("bar", "[data-test=call][data-phase=idle]", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(p.Server.Calls()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("calls still up after the bar hung up: %+v", p.Server.Calls())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Shot("bar", "09-agent-after-hangup")
	waitACD(t, p, "a1002", acd.Ready)
	b.Wait("bar", "[data-test=state][data-state=ready]", 5*time.Second)
}

// waitEvent reads the CTI client's events until one of typ matches and
// returns it.
func waitEvent(t *testing.T, cl interface {
	Events() <-chan protocol.Envelope
}, typ string, match func(map[string]any) bool) protocol.Envelope {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-cl.Events():
			if !ok {
				t.Fatal("CTI connection ended")
			}
			if ev.Type != typ {
				continue
			}
			var d map[string]any
			if err := ev.Decode(&d); err != nil {
				t.Fatal(err)
			}
			if match == nil || match(d) {
				return ev
			}
		case <-timeout:
			t.Fatal(fmt.Sprintf("no %s event", typ))
		}
	}
}

// A queue call rings the bar (caller, queue, wait; the time from the hub's
// call.ringing to the bar's is logged), the desk phone answers, the
// websocket is cut mid-call and the bar reconnects and resumes by seq
// with the call still on screen; the agent hangs up from the bar, wraps up
// and ends wrap-up with "done".
func TestQueueCallRingsTheBarThroughReconnectAndWrapUp(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	sipp.Require(t)
	p := floor(t)
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	ctx := t.Context()
	if err := p.Contact.ACD.NotReady(ctx, "demo", "a1002", "培训"); err != nil {
		t.Fatal(err)
	}
	ip := testpbx.Loopback()
	p.Callee(t, "1001", ip, "uas_answer.xml", false, map[string]string{"ring_ms": "2500"})
	b := startBrowser(t)
	signIn(b, p, "wangfang", pass)

	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(ctx, "agent:a1001"); err != nil {
		t.Fatal(err)
	}
	call(t, p, "1005", "8000", 40*time.Second)
	ringTS, err := time.Parse(time.RFC3339Nano, waitEvent(t, cl, protocol.EventCallRinging, nil).TS)
	if err != nil {
		t.Fatal(err)
	}
	b.Wait("bar", "[data-test=call][data-phase=ringing]", time.Second)
	var ringAt float64
	if err := json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "bar",
		"js": "Object.values(window.yimenBar.model.calls)[0].ringingAt"}), &ringAt); err != nil {
		t.Fatal(err)
	}
	t.Logf("call.ringing published %s, on the bar %.0f ms later", ringTS.Format(time.StampMilli), ringAt-float64(ringTS.UnixMilli()))
	if s := b.Text("bar", "[data-test=call]"); !strings.Contains(s, "1005") || !strings.Contains(s, "12345 热线") || !strings.Contains(s, "来电振铃") || strings.Contains(s, "call_id") {
		t.Fatalf("ringing panel %q", s)
	}
	// The OA pops the customer's card on the bar; nothing showed before.
	var pops int
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "bar", "js": "document.querySelectorAll('[data-test=screenpop]').length"}), &pops)
	if pops != 0 {
		t.Fatal("a screen-pop panel with nothing to show")
	}
	var ringing []string
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "bar", "js": "Object.keys(window.yimenBar.model.calls)"}), &ringing)
	if err := cl.Do(ctx, protocol.CmdScreenPop, protocol.ScreenPop{Agent: "a1001", Call: ringing[0], Title: "张三 · 2 张未办结工单",
		URL: "https://oa.example/customers/42", Fields: map[string]string{"客户": "张三", "工单": "2"}}, nil); err != nil {
		t.Fatal(err)
	}
	b.Wait("bar", "[data-test=screenpop]:has-text('张三 · 2 张未办结工单')", 2*time.Second)
	b.Shot("bar", "10-agent-ringing")
	b.Wait("bar", "[data-test=call][data-phase=talking]", 5*time.Second)
	b.Wait("bar", "[data-test=state][data-state=on_call]", 2*time.Second)

	// The network drops: the bar reconnects, resumes, and the call is still there.
	b.Do(map[string]any{"op": "eval", "page": "bar", "js": "window.yimenBar.cti.drop()"})
	b.Wait("bar", "[data-test=conn]:has-text('连接中断')", 2*time.Second)
	b.Wait("bar", "[data-test=conn]:has-text('已连接')", 5*time.Second)
	var rec struct{ Reconnects, LastSeq int }
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "bar",
		"js": "({reconnects: window.yimenBar.cti.reconnects, lastSeq: window.yimenBar.cti.lastSeq})"}), &rec)
	if rec.Reconnects != 1 {
		t.Fatalf("reconnects %d, want 1", rec.Reconnects)
	}
	b.Wait("bar", "[data-test=call][data-phase=talking]", time.Second)
	b.Shot("bar", "11-agent-on-queue-call-after-reconnect")

	b.Click("bar", "[data-test=hangup]")
	b.Wait("bar", "[data-test=state][data-state=wrap_up]", 5*time.Second)
	waitACD(t, p, "a1001", acd.WrapUp)
	// The queue's 30 s of wrap-up count down.
	if left := b.Text("bar", "[data-test=wrapup-left]"); !strings.Contains(left, "话后剩余 3") && !strings.Contains(left, "话后剩余 2") {
		t.Fatalf("wrap-up countdown %q, want about 30 s left", left)
	}
	b.Shot("bar", "12-agent-wrap-up")
	b.Click("bar", "[data-test=wrapup-done]")
	b.Wait("bar", "[data-test=state][data-state=ready]", 3*time.Second)
	waitACD(t, p, "a1001", acd.Ready)
	if n := b.Text("bar", "[data-test=answered]"); n != "1" {
		t.Fatalf("answered today %q, want 1", n)
	}
}

// The big screen: 64 agents in one queue fit on one page of a 1920×1080
// wallboard, each tile with its state; paging adds a page per queue.
func TestWallboardHoldsSixtyFourAgents(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	var agents []config.Agent
	var ids []string
	for i := range 64 {
		id := fmt.Sprintf("a%d", 2001+i)
		agents = append(agents, config.Agent{ID: id, Name: fmt.Sprintf("坐席%02d", i+1), Extension: fmt.Sprint(2001 + i)})
		ids = append(ids, id)
	}
	p := testpbx.Start(t, func(c *config.Config) {
		c.Tenants[0].Extensions = []string{"1001-1010", "2001-2064"}
		c.Tenants[0].Agents = agents
		c.Tenants[0].Queues = map[string]config.Queue{"hotline": {Name: "12345 热线", Strategy: "longest-idle", Agents: ids, SLThreshold: 20 * time.Second}}
		c.Tenants[0].AutoLogin = true
	})
	ctx := t.Context()
	for i, id := range ids {
		switch i % 4 {
		case 1:
			if err := p.Contact.ACD.NotReady(ctx, "demo", id, "小休"); err != nil {
				t.Fatal(err)
			}
		case 2:
			if err := p.Contact.ACD.Logout(ctx, "demo", id); err != nil {
				t.Fatal(err)
			}
		}
	}
	pass := account(t, p, "banzhang", "supervisor", []string{"hotline"}, "")
	b := startBrowserSized(t, 1920, 1080)
	b.Open("wall", base(p)+"/wallboard/")
	b.Wait("wall", "#l-name", 10*time.Second)
	b.login("wall", "banzhang", pass)
	b.Wait("wall", "[data-test=wb-agent][data-agent=a2064]", 10*time.Second)
	var shown struct{ Tiles, Ready, NotReady, Out int }
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "wall", "js": `({
		tiles: document.querySelectorAll('[data-test=wb-agent]').length,
		ready: document.querySelectorAll('[data-test=wb-agent][data-state=ready]').length,
		notReady: document.querySelectorAll('[data-test=wb-agent][data-state=not_ready]').length,
		out: document.querySelectorAll('[data-test=wb-agent][data-state=logged_out]').length})`}), &shown)
	if shown.Tiles != 64 || shown.Ready != 32 || shown.NotReady != 16 || shown.Out != 16 {
		t.Fatalf("tiles on the first page: %+v, want all 64 (32 ready, 16 not ready, 16 logged out)", shown)
	}
	var fits bool
	json.Unmarshal(b.Do(map[string]any{"op": "eval", "page": "wall",
		"js": "document.documentElement.scrollHeight <= window.innerHeight"}), &fits)
	if !fits {
		t.Fatal("64 tiles overflow a 1920×1080 screen")
	}
	b.Shot("wall", "09-wallboard-64-agents")
}

// The agent's desk phone calls a customer: from the bar the agent holds and
// resumes them (the PBX re-INVITEs the customer's phone), opens the keypad,
// then transfers the customer blind to another extension; the bar lets the
// call go when the PBX reports the transfer.
func TestHoldResumeAndBlindTransferFromTheBar(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	b, cl := deskPhoneCall(t, nil)
	if party := b.Text("bar", "[data-test=party]"); party != "1003" {
		t.Fatalf("the bar shows %q, want the customer 1003", party)
	}
	time.Sleep(500 * time.Millisecond) // the ACK is in: the call can be re-INVITEd

	b.Click("bar", "[data-test=hold]")
	waitEvent(t, cl, protocol.EventCallHeld, nil)
	b.Wait("bar", "[data-test=call][data-phase=held]", time.Second)
	if s := b.Text("bar", "[data-test=call] h2"); s != "保持中" {
		t.Fatalf("held call titled %q", s)
	}
	b.Shot("bar", "15-agent-call-held")
	b.Click("bar", "[data-test=hold]")
	waitEvent(t, cl, protocol.EventCallResumed, nil)
	b.Wait("bar", "[data-test=call][data-phase=talking]", time.Second)

	b.Do(map[string]any{"op": "press", "page": "bar", "value": "Alt+K"})
	b.Wait("bar", ".keypad", 2*time.Second)
	time.Sleep(400 * time.Millisecond)
	b.Shot("bar", "16-agent-keypad")
	b.Do(map[string]any{"op": "press", "page": "bar", "value": "Escape"})

	b.Click("bar", "[data-test=transfer]")
	b.Wait("bar", "#xfer-to", 2*time.Second)
	b.Fill("bar", "#xfer-to", "1004")
	time.Sleep(400 * time.Millisecond)
	b.Shot("bar", "17-agent-transfer")
	b.Click("bar", "[data-test=xfer-blind]")
	ev := waitEvent(t, cl, protocol.EventCallTransferred, nil)
	var tr protocol.CallTransferred
	if err := ev.Decode(&tr); err != nil || tr.To != "1004" || tr.Mode != "blind" {
		t.Fatalf("call.transferred %+v %v", tr, err)
	}
	b.Wait("bar", "[data-test=call][data-phase=idle]", 2*time.Second)
}

// An attended transfer from the bar: the agent consults 1004 while the
// customer (1003) is held, and completes once 1004 has answered.
func TestAttendedTransferFromTheBar(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	b, cl := deskPhoneCall(t, map[string]string{"ring_ms": "1000"})
	time.Sleep(500 * time.Millisecond) // the ACK is in: the call can be re-INVITEd

	b.Click("bar", "[data-test=transfer]")
	b.Fill("bar", "#xfer-to", "1004")
	b.Click("bar", "[data-test=xfer-consult]")
	waitEvent(t, cl, protocol.EventCallConsult, func(d map[string]any) bool { return d["state"] == "answered" })
	b.Wait("bar", "[data-test=xfer-complete]:not([disabled])", 2*time.Second)
	if s := b.Text("bar", "[data-test=call]"); !strings.Contains(s, "咨询中：1004") {
		t.Fatalf("call panel during the consultation: %q", s)
	}
	b.Shot("bar", "18-agent-consulting")
	b.Click("bar", "[data-test=xfer-complete]")
	ev := waitEvent(t, cl, protocol.EventCallTransferred, nil)
	var tr protocol.CallTransferred
	if err := ev.Decode(&tr); err != nil || tr.Mode != "attended" {
		t.Fatalf("call.transferred %+v %v", tr, err)
	}
	b.Wait("bar", "[data-test=call][data-phase=idle]", 3*time.Second)
}

// deskPhoneCall signs agent a1001 in on the bar, registers SIPp phones as
// 1003 and 1004 (1004 with vars), and has a1001's desk phone (SIPp) call
// 1003; it returns once the bar shows the call, with a CTI client
// following the agent.
func deskPhoneCall(t *testing.T, vars1004 map[string]string) (*browser, *cticlient.Client) {
	t.Helper()
	sipp.Require(t)
	p := floor(t)
	pass := account(t, p, "wangfang", "agent", nil, "a1001")
	p.Callee(t, "1003", testpbx.Loopback(), "uas_answer.xml", false, nil)
	p.Callee(t, "1004", testpbx.Loopback(), "uas_answer.xml", false, vars1004)
	b := startBrowser(t)
	signIn(b, p, "wangfang", pass)
	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(t.Context(), "agent:a1001"); err != nil {
		t.Fatal(err)
	}
	call(t, p, "1001", "1003", 40*time.Second)
	b.Wait("bar", "[data-test=call][data-phase=talking]", 10*time.Second)
	return b, cl
}
