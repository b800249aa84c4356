package system_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/tests/testpbx"
)

// phone starts a SIPp callee registered as ext whose audio goes to the Go
// endpoint ep, so tests can send tones and hear what reaches it. It runs
// lenient (pollLenient).
func phone(t *testing.T, p *testpbx.PBX, ext, ip string, ep *rtpEndpoint) *sipp.Proc {
	t.Helper()
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", ip, ep.port()),
		LocalIP: ip, Lenient: pollLenient, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	p.Register(t, ext, ip, proc.Port())
	return proc
}

// waitEvent reads cl's events until one of type typ whose data contains all
// of want (a JSON object's fields), failing after 10 s.
func waitEvent(t *testing.T, cl *cticlient.Client, typ string, want map[string]any) protocol.Envelope {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-cl.Events():
			if ev.Type != typ {
				continue
			}
			var got map[string]any
			_ = json.Unmarshal(ev.Data, &got)
			ok := true
			for k, v := range want {
				if got[k] != v {
					ok = false
				}
			}
			if ok {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event with %v", typ, want)
		}
	}
}

func ctiCode(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// tones checks who hears whom: each endpoint's power at the others' tones.
func hears(e *rtpEndpoint, freq float64) bool { return e.heard(freq)[0] > 0.05 }

// An agent consults a colleague from the CTI while the customer waits on
// hold, talks with them over the agent's one call, then completes the
// transfer: the customer and the colleague hear each other, the agent's
// phone is hung up, and the call keeps its id.
func TestCTIAttendedTransferConsultThenComplete(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cust, agent, target := newEndpoint(t, "127.0.100.4"), newEndpoint(t, "127.0.100.2"), newEndpoint(t, "127.0.100.3")
	agentPhone := phone(t, p, "1002", "127.0.100.2", agent)
	phone(t, p, "1003", "127.0.100.3", target)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	other := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
	sys := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sys.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- holdCaller(t, p, "1004", "127.0.100.4", mediaScenario(t, "uac_media_hold.tmpl", "127.0.100.4", cust.port()), "1002", map[string]string{"talk_ms": "14000"})
	}()
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1002" })
	defer cust.send(call.CallerRTP, 500)()
	defer agent.send(call.CalleeRTP, 800)()

	// Bad input first.
	if err := other.Do(ctx, protocol.CmdCallConsult, protocol.Consult{Call: call.ID, To: "1003"}, nil); ctiCode(err) != protocol.CodeForbidden {
		t.Errorf("consult on someone else's call: %v, want forbidden", err)
	}
	if err := cl.Transfer(ctx, "a1002", call.ID, "", "attended"); ctiCode(err) != protocol.CodeConflict {
		t.Errorf("complete with no consultation: %v, want conflict", err)
	}

	if err := cl.Do(ctx, protocol.CmdCallConsult, protocol.Consult{Call: call.ID, To: "1003"}, nil); err != nil {
		t.Fatalf("consult: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallHeld, map[string]any{"call": call.ID})
	waitEvent(t, sys, protocol.EventCallConsult, map[string]any{"call": call.ID, "state": "answered", "to": "1003"})
	k := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.Caller == "1003" && c.State == "answered" })
	defer target.send(k.CallerRTP, 1200)()
	time.Sleep(300 * time.Millisecond)
	cust.reset()
	agent.reset()
	target.reset()
	time.Sleep(1500 * time.Millisecond)
	a, c, tg := agent.heard(1200, 500), cust.heard(800, 1200), target.heard(800, 500)
	t.Logf("consulting: agent hears target %.3f customer %.3f; customer hears agent %.3f target %.3f; target hears agent %.3f customer %.3f", a[0], a[1], c[0], c[1], tg[0], tg[1])
	if a[0] < 0.05 || tg[0] < 0.05 {
		t.Errorf("agent and target do not hear each other while consulting: %.3f %.3f", a[0], tg[0])
	}
	if c[0] > 0.05 || c[1] > 0.05 || a[1] > 0.05 || tg[1] > 0.05 {
		t.Errorf("the held customer is heard or hears someone: %v %v %v", a, c, tg)
	}

	if err := cl.Transfer(ctx, "a1002", call.ID, "", "attended"); err != nil {
		t.Fatalf("complete: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallTransferred, map[string]any{"call": call.ID, "to": "1003", "mode": "attended"})
	waitEvent(t, sys, protocol.EventCallResumed, map[string]any{"call": call.ID})
	time.Sleep(300 * time.Millisecond)
	cust.reset()
	target.reset()
	time.Sleep(1500 * time.Millisecond)
	c, tg = cust.heard(1200, 800), target.heard(500, 800)
	t.Logf("transferred: customer hears target %.3f agent %.3f; target hears customer %.3f agent %.3f", c[0], c[1], tg[0], tg[1])
	if c[0] < 0.05 || tg[0] < 0.05 {
		t.Errorf("customer and target do not hear each other after the transfer: %.3f %.3f", c[0], tg[0])
	}
	if c[1] > 0.05 || tg[1] > 0.05 {
		t.Errorf("the agent is still heard after the transfer: %.3f %.3f", c[1], tg[1])
	}
	if now := waitCall(t, p, func(x b2bua.CallInfo) bool { return x.ID == call.ID }); now.Connected != "1003" {
		t.Errorf("call %s is connected to %q, want 1003", call.ID, now.Connected)
	}
	ar, _ := agentPhone.Stop()
	if ar.Successful != 1 {
		t.Errorf("the agent's phone was not hung up cleanly: %+v", ar.Counters)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	var main, consult bool
	for _, x := range p.CDRs(t, 2) {
		switch {
		case x.ID == call.ID:
			main = x.Disposition == "answered" && x.HangupSide == "caller" && x.B.PacketsIn > 50 && x.Hold > time.Second
			if !main {
				t.Errorf("transferred call's CDR = %+v", x)
			}
		case x.Caller == "1003":
			consult = x.HangupCause == "transferred"
			if !consult {
				t.Errorf("consultation CDR = %+v", x)
			}
		}
	}
	if !main || !consult {
		t.Errorf("CDRs: call %v, consultation %v", main, consult)
	}
}

// A consultation that fails (the target is busy) or is cancelled puts the
// agent back with the customer, who is resumed; the target is hung up.
func TestCTIConsultBusyThenCancel(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cust, agent, target := newEndpoint(t, "127.0.101.4"), newEndpoint(t, "127.0.101.2"), newEndpoint(t, "127.0.101.3")
	phone(t, p, "1002", "127.0.101.2", agent)
	targetPhone := phone(t, p, "1003", "127.0.101.3", target)
	p.Callee(t, "1005", "127.0.101.5", "uas_busy.xml", false, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	sys := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sys.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- holdCaller(t, p, "1004", "127.0.101.4", mediaScenario(t, "uac_media_hold.tmpl", "127.0.101.4", cust.port()), "1002", map[string]string{"talk_ms": "12000"})
	}()
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1002" })
	defer cust.send(call.CallerRTP, 500)()
	defer agent.send(call.CalleeRTP, 800)()
	backTogether := func(when string) {
		t.Helper()
		time.Sleep(300 * time.Millisecond)
		cust.reset()
		agent.reset()
		time.Sleep(1200 * time.Millisecond)
		if !hears(agent, 500) || !hears(cust, 800) {
			t.Errorf("%s: agent and customer do not hear each other again", when)
		}
	}

	if err := cl.Do(ctx, protocol.CmdCallConsult, protocol.Consult{Call: call.ID, To: "1005"}, nil); err != nil {
		t.Fatalf("consult busy: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallConsult, map[string]any{"call": call.ID, "state": "failed", "code": float64(486)})
	waitEvent(t, sys, protocol.EventCallResumed, map[string]any{"call": call.ID})
	backTogether("after a busy target")

	if err := cl.Do(ctx, protocol.CmdCallConsult, protocol.Consult{Call: call.ID, To: "1003"}, nil); err != nil {
		t.Fatalf("consult: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallConsult, map[string]any{"call": call.ID, "state": "answered"})
	if err := cl.Transfer(ctx, "a1002", call.ID, "1009", "attended"); ctiCode(err) != protocol.CodeConflict {
		t.Errorf("completing to another extension than the one consulted: %v, want conflict", err)
	}
	if err := cl.Do(ctx, protocol.CmdCallConsultCancel, protocol.CallRef{Call: call.ID}, nil); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallConsult, map[string]any{"call": call.ID, "state": "cancelled"})
	backTogether("after cancelling")
	tr, _ := targetPhone.Stop()
	if tr.Successful != 1 {
		t.Errorf("the consulted phone was not hung up cleanly: %+v\n%s", tr.Counters, tr.Errors)
	}
	if err := cl.Do(ctx, protocol.CmdCallConsultCancel, protocol.CallRef{Call: call.ID}, nil); ctiCode(err) != protocol.CodeConflict {
		t.Errorf("cancel with no consultation: %v, want conflict", err)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
}

// call.answer makes a ringing phone that takes "NOTIFY Event: talk" answer;
// a phone that refuses it (489 Bad Event) gets the CTI error "unsupported".
func TestCTIRemoteAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip       string
		code, answerMs int
		want           string
	}{{"accepted", "127.0.102", 200, 0, ""}, {"refused", "127.0.103", 489, 800, protocol.CodeUnsupported}} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := ivrPBX(t)
			reason := map[int]string{200: "OK", 489: "Bad Event"}[tc.code]
			path, err := sipp.Render(t.TempDir(), "uas_talk.tmpl", struct {
				NotifyCode   int
				NotifyReason string
				AnswerMs     int
			}{tc.code, reason, tc.answerMs})
			if err != nil {
				t.Fatal(err)
			}
			ph, err := sipp.Start(t.Context(), sipp.Options{Scenario: path, LocalIP: tc.ip + ".2", Dir: t.TempDir(), Timeout: 40 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ph.Stop() })
			p.Register(t, "1002", tc.ip+".2", ph.Port())
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
			done := make(chan *sipp.Result, 1)
			go func() {
				done <- p.Call(t, "1004", tc.ip+".4", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "1500"})
			}()
			call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.Callee == "1002" })
			time.Sleep(300 * time.Millisecond) // the 180 is in
			err = cl.Do(ctx, protocol.CmdCallAnswer, protocol.CallRef{Call: call.ID}, nil)
			if ctiCode(err) != tc.want || (tc.want == "" && err != nil) {
				t.Fatalf("call.answer: %v, want %q", err, tc.want)
			}
			if err := (<-done).Check(1); err != nil {
				t.Fatal(err)
			}
			pr, _ := ph.Stop()
			if pr.Successful != 1 {
				t.Errorf("phone scenario: %+v\n%s", pr.Counters, pr.Errors)
			}
			if c := lastCDR(t, p, 1); c.Disposition != "answered" {
				t.Errorf("CDR = %+v", c)
			}
		})
	}
}
