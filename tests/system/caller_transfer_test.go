package system_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/tests/testpbx"
)

// Transfers by the side that placed the call: the agent's phone is side A
// (it dialled, or the PBX rang it first for click-to-dial) and the customer
// side B. The customer must end up talking with the target, the agent's
// leg hung up.

// mediaPhone is phone with SIPp variables (hangup_ms, ring_ms); lenient
// like phone (pollLenient).
func mediaPhone(t *testing.T, p *testpbx.PBX, ext, ip string, ep *rtpEndpoint, vars map[string]string) *sipp.Proc {
	t.Helper()
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", ip, ep.port()),
		LocalIP: ip, Vars: vars, Lenient: pollLenient, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	p.Register(t, ext, ip, proc.Port())
	return proc
}

// talking checks that a and b hear each other's tones (fa is what a sends,
// fb what b sends) and that nobody hears the tone gone (0: no check).
func talking(t *testing.T, when string, a, b *rtpEndpoint, fa, fb, gone float64) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	a.reset()
	b.reset()
	time.Sleep(1500 * time.Millisecond)
	ha, hb := a.heard(fb, gone), b.heard(fa, gone)
	t.Logf("%s: a hears b %.3f (gone %.3f); b hears a %.3f (gone %.3f)", when, ha[0], ha[1], hb[0], hb[1])
	if ha[0] < 0.05 || hb[0] < 0.05 {
		t.Errorf("%s: the two do not hear each other: %.3f %.3f", when, ha[0], hb[0])
	}
	if gone > 0 && (ha[1] > 0.05 || hb[1] > 0.05) {
		t.Errorf("%s: the party who left is still heard: %.3f %.3f", when, ha[1], hb[1])
	}
}

// referScenario renders uac_refer.tmpl: a caller with its audio at
// ip:port that REFERs the party it called to to after ms (with to empty,
// only waits for the PBX's BYE).
func referScenario(t *testing.T, ip string, port int, to string, ms int) string {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), "uac_refer.tmpl", struct {
		RTPIP   string
		RTPPort int
		To      string
		AfterMs int
	}{ip, port, to, ms})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// agentAndWatcher connects agent's CTI client and a system client that
// hears the tenant's events.
func agentAndWatcher(t *testing.T, ctx context.Context, p *testpbx.PBX, agent string) (cl, sys *cticlient.Client) {
	t.Helper()
	cl = p.DialCTI(t, p.AgentCTIToken(t, "agent", agent))
	sys = p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sys.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	return cl, sys
}

// waitGone waits until call id has ended.
func waitGone(t *testing.T, p *testpbx.PBX, id string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		found := false
		for _, c := range p.Server.Calls() {
			found = found || c.ID == id
		}
		if !found {
			return
		}
	}
	t.Fatalf("call %s still up after %s", id, within)
}

// cdrOf finds the CDR of call id among the first n the PBX wrote.
func cdrOf(t *testing.T, p *testpbx.PBX, n int, id string) (pbxstore.CDR, []pbxstore.CDR) {
	t.Helper()
	list := p.CDRs(t, n)
	for _, x := range list {
		if x.ID == id {
			return x, list
		}
	}
	t.Fatalf("no CDR for call %s among %+v", id, list)
	return pbxstore.CDR{}, nil
}

// Click-to-dial (CTI call.dial: the PBX rings agent 1001, then customer
// 1003), then the agent blind-transfers from the CTI to 1005: the agent's
// phone gets BYE at once, 1005 is rung from the PBX and joined in the
// agent's place; call.transferred names the agent; the customer and 1005
// talk until the customer hangs up, which hangs 1005 up.
func TestCTIDialThenBlindTransferByCaller(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	agent, cust, target := newEndpoint(t, "127.0.140.1"), newEndpoint(t, "127.0.140.3"), newEndpoint(t, "127.0.140.5")
	agentPhone := phone(t, p, "1001", "127.0.140.1", agent)
	custPhone := mediaPhone(t, p, "1003", "127.0.140.3", cust, map[string]string{"hangup_ms": "9000"})
	targetPhone := mediaPhone(t, p, "1005", "127.0.140.5", target, map[string]string{"ring_ms": "500"})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl, sys := agentAndWatcher(t, ctx, p, "a1001")
	callID, err := cl.Dial(ctx, "a1001", "1003", "")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == callID && c.Connected == "1003" })
	defer agent.send(call.CallerRTP, 800)()
	defer cust.send(call.CalleeRTP, 500)()
	talking(t, "before the transfer", agent, cust, 800, 500, 0)

	if err := cl.Transfer(ctx, "a1001", callID, "1009", "blind"); ctiCode(err) != protocol.CodeUnavailable {
		t.Errorf("blind transfer to an extension not registered: %v, want unavailable", err)
	}
	if err := cl.Transfer(ctx, "a1001", callID, "1005", "blind"); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallTransferred, map[string]any{"call": callID, "agent": "a1001", "to": "1005", "mode": "blind"})
	joined := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == callID && c.CallerRTP != call.CallerRTP })
	defer target.send(joined.CallerRTP, 1200)()
	talking(t, "after the transfer", cust, target, 500, 1200, 800)

	waitGone(t, p, callID, 15*time.Second)
	cr, _ := custPhone.Stop()
	tr, _ := targetPhone.Stop()
	ar, _ := agentPhone.Stop()
	if cr.Successful != 1 || tr.Successful != 1 || ar.Successful != 1 {
		t.Errorf("customer, target, agent phones: %+v / %+v / %+v", cr.Counters, tr.Counters, ar.Counters)
	}
	c, all := cdrOf(t, p, 2, callID)
	if c.Caller != "1001" || c.Callee != "1003" || c.Disposition != "answered" || c.HangupSide != "callee" || c.A.PacketsIn < 50 || c.B.PacketsIn < 100 {
		t.Errorf("the transferred call's CDR = %+v", c)
	}
	var ring bool
	for _, x := range all {
		ring = ring || (x.Caller == "1005" && x.HangupCause == "transferred")
	}
	if !ring {
		t.Errorf("the PBX's call to 1005 did not end as transferred: %+v", all)
	}
}

// An agent who dialled the customer from the desk phone (side A) consults
// 1005 from the CTI: the customer is held and hears nobody while the agent
// and 1005 talk; a first consultation is cancelled (back with the
// customer), a second completed: the customer and 1005 talk, the agent's
// phone gets BYE, and the call keeps its id.
func TestCTIConsultByCallerCancelThenComplete(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	agent, cust, target := newEndpoint(t, "127.0.141.1"), newEndpoint(t, "127.0.141.3"), newEndpoint(t, "127.0.141.5")
	mediaPhone(t, p, "1003", "127.0.141.3", cust, map[string]string{"hangup_ms": "16000"})
	targetPhone := phone(t, p, "1005", "127.0.141.5", target)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl, sys := agentAndWatcher(t, ctx, p, "a1001")
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.141.1", referScenario(t, "127.0.141.1", agent.port(), "", 0), "1003", nil)
	}()
	call := waitCall(t, p, func(c b2bua.CallInfo) bool {
		return c.State == "answered" && c.Caller == "1001" && c.Connected == "1003"
	})
	defer agent.send(call.CallerRTP, 800)()
	defer cust.send(call.CalleeRTP, 500)()
	consult := func() b2bua.CallInfo {
		t.Helper()
		if err := cl.Do(ctx, protocol.CmdCallConsult, protocol.Consult{Call: call.ID, To: "1005"}, nil); err != nil {
			t.Fatalf("consult: %v", err)
		}
		waitEvent(t, sys, protocol.EventCallHeld, map[string]any{"call": call.ID})
		waitEvent(t, sys, protocol.EventCallConsult, map[string]any{"call": call.ID, "agent": "a1001", "state": "answered", "to": "1005"})
		return waitCall(t, p, func(c b2bua.CallInfo) bool { return c.Caller == "1005" && c.State == "answered" })
	}

	k := consult()
	stop := target.send(k.CallerRTP, 1200)
	cust.reset()
	talking(t, "consulting", agent, target, 800, 1200, 0)
	held := cust.heard(800, 1200)
	t.Logf("consulting: the held customer hears the agent %.3f, the target %.3f", held[0], held[1])
	if held[0] > 0.05 || held[1] > 0.05 {
		t.Errorf("the held customer hears the agent %.3f or the target %.3f", held[0], held[1])
	}
	if err := cl.Do(ctx, protocol.CmdCallConsultCancel, protocol.CallRef{Call: call.ID}, nil); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	stop()
	waitEvent(t, sys, protocol.EventCallConsult, map[string]any{"call": call.ID, "state": "cancelled"})
	waitEvent(t, sys, protocol.EventCallResumed, map[string]any{"call": call.ID})
	talking(t, "after cancelling", agent, cust, 800, 500, 0)

	k = consult()
	defer target.send(k.CallerRTP, 1200)()
	if err := cl.Transfer(ctx, "a1001", call.ID, "", "attended"); err != nil {
		t.Fatalf("complete: %v", err)
	}
	waitEvent(t, sys, protocol.EventCallTransferred, map[string]any{"call": call.ID, "agent": "a1001", "to": "1005", "mode": "attended"})
	waitEvent(t, sys, protocol.EventCallResumed, map[string]any{"call": call.ID})
	talking(t, "transferred", cust, target, 500, 1200, 800)
	if now := waitCall(t, p, func(x b2bua.CallInfo) bool { return x.ID == call.ID }); now.CallerRTP != k.CallerRTP {
		t.Errorf("side A of call %s is %s, want the target's leg %s", call.ID, now.CallerRTP, k.CallerRTP)
	}
	if err := (<-done).Check(1); err != nil {
		t.Errorf("the agent's phone did not get the PBX's BYE: %v", err)
	}
	waitGone(t, p, call.ID, 20*time.Second)
	tr, _ := targetPhone.Stop()
	if tr.Successful != 2 {
		t.Errorf("the target's phone took %d calls cleanly, want 2 (cancelled consultation, transfer): %+v", tr.Successful, tr.Counters)
	}
	c, all := cdrOf(t, p, 3, call.ID)
	if c.Caller != "1001" || c.Disposition != "answered" || c.HangupSide != "callee" || c.Hold < time.Second || c.A.PacketsIn < 50 {
		t.Errorf("the transferred call's CDR = %+v", c)
	}
	var consults int
	for _, x := range all {
		if x.Caller == "1005" && (x.HangupCause == "transferred" || x.HangupCause == "consult_cancelled") {
			consults++
		}
	}
	if consults != 2 {
		t.Errorf("consultation CDRs: %d, want a cancelled and a transferred one: %+v", consults, all)
	}
}

// A phone that placed the call transfers the party it called with REFER
// (RFC 3515): from the desk phone (it sent the INVITE) and from the phone
// the PBX rang first for click-to-dial. The referrer gets 202, a sipfrag
// NOTIFY and BYE; 1005 is rung from the PBX and talks with the customer.
func TestPhoneBlindTransferByCallerWithREFER(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, net string
		dial      bool // click-to-dial from the CTI, else the desk phone dials
	}{{"desk phone", "127.0.142", false}, {"click-to-dial", "127.0.143", true}} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := ivrPBX(t)
			ip := func(n string) string { return tc.net + "." + n }
			cust, target := newEndpoint(t, ip("3")), newEndpoint(t, ip("5"))
			custPhone := mediaPhone(t, p, "1003", ip("3"), cust, map[string]string{"hangup_ms": "8000"})
			targetPhone := phone(t, p, "1005", ip("5"), target)
			done := make(chan *sipp.Result, 1)
			var referrer *sipp.Proc
			if tc.dial {
				referrer = referringPhone(t, p, "1001", ip("1"), "1005", 1500)
				cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
				if _, err := cl.Dial(t.Context(), "a1001", "1003", ""); err != nil {
					t.Fatalf("dial: %v", err)
				}
			} else {
				agent := newEndpoint(t, ip("1"))
				go func() {
					done <- p.Call(t, "1001", ip("1"), referScenario(t, ip("1"), agent.port(), "1005", 1500), "1003", nil)
				}()
			}
			call := waitCall(t, p, func(c b2bua.CallInfo) bool {
				return c.State == "answered" && c.Caller == "1001" && c.Connected == "1003"
			})
			defer cust.send(call.CalleeRTP, 500)()
			joined := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == call.ID && c.CallerRTP != call.CallerRTP })
			defer target.send(joined.CallerRTP, 1200)()
			talking(t, "after the REFER", cust, target, 500, 1200, 0)
			waitGone(t, p, call.ID, 15*time.Second)

			var rr *sipp.Result
			if tc.dial {
				rr, _ = referrer.Stop()
			} else {
				rr = <-done
			}
			if rr.Successful != 1 {
				t.Errorf("referrer: 202, NOTIFY 200 and BYE not all seen: %+v\n%s", rr.Counters, rr.Errors)
			}
			cr, _ := custPhone.Stop()
			tr, _ := targetPhone.Stop()
			if cr.Successful != 1 || tr.Successful != 1 {
				t.Errorf("customer, target phones: %+v / %+v", cr.Counters, tr.Counters)
			}
			if c, _ := cdrOf(t, p, 2, call.ID); c.Disposition != "answered" || c.HangupSide != "callee" || c.A.PacketsIn < 50 || c.B.PacketsIn < 100 {
				t.Errorf("the transferred call's CDR = %+v", c)
			}
		})
	}
}

// A desk phone that placed two calls through the PBX (to a customer, then
// to a colleague) transfers with REFER + Replaces on the first, naming the
// second (RFC 5589 §7): the referrer is side A of both. The customer and
// the colleague end up talking, with no new INVITE to either; the phone
// gets 202, a sipfrag NOTIFY and a BYE on both calls. A small sipgo UA, as
// SIPp cannot name one call's dialog from another.
func TestPhoneAttendedTransferByCallerOfBothCalls(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	const agentIP = "127.0.144.2"
	cust, target := newEndpoint(t, "127.0.144.4"), newEndpoint(t, "127.0.144.3")
	custPhone := mediaPhone(t, p, "1004", "127.0.144.4", cust, map[string]string{"hangup_ms": "9000"})
	targetPhone := phone(t, p, "1003", "127.0.144.3", target)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	agentPhone := newSipUA(t, ctx, "1002", agentIP, 40000)
	p.Register(t, "1002", agentIP, agentPhone.port)
	dial := func(ext string, rtpPort int) *sipgo.DialogClientSession {
		t.Helper()
		code, sess := agentPhone.invite(t, ctx, p, "1002", ext, rtpPort)
		if code != 200 {
			t.Fatalf("call to %s: %d", ext, code)
		}
		return sess
	}
	sess1 := dial("1004", 40000)
	call1 := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1004" })
	defer cust.send(call1.CalleeRTP, 500)()
	sess2 := dial("1003", 40002)
	call2 := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1003" })
	defer target.send(call2.CalleeRTP, 1200)()
	time.Sleep(300 * time.Millisecond)

	pbxHost, _, _ := net.SplitHostPort(p.SIPAddr())
	cid := sess2.InviteRequest.CallID().Value()
	fromTag, _ := sess2.InviteRequest.From().Params.Get("tag")
	toTag, _ := sess2.InviteResponse.To().Params.Get("tag")
	req := sip.NewRequest(sip.REFER, sess1.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Refer-To", fmt.Sprintf("<sip:1003@%s?Replaces=%s>", pbxHost, url.QueryEscape(cid+";to-tag="+toTag+";from-tag="+fromTag))))
	req.AppendHeader(sip.NewHeader("Referred-By", "<sip:1002@"+pbxHost+">"))
	res, err := sess1.Do(ctx, req)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER Replaces: %v %v, want 202", res, err)
	}
	for deadline := time.Now().Add(5 * time.Second); agentPhone.byes.Load() < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if n, b := agentPhone.notifies.Load(), agentPhone.byes.Load(); n != 1 || b != 2 {
		t.Errorf("the referrer got %d sipfrag 200 NOTIFY and %d BYE, want 1 and 2", n, b)
	}
	talking(t, "after REFER Replaces", cust, target, 500, 1200, 0)
	if now := waitCall(t, p, func(x b2bua.CallInfo) bool { return x.ID == call1.ID }); now.CallerRTP != call2.CalleeRTP {
		t.Errorf("side A of call %s is %s, want the colleague's leg %s", call1.ID, now.CallerRTP, call2.CalleeRTP)
	}
	waitGone(t, p, call1.ID, 15*time.Second)
	cr, _ := custPhone.Stop()
	tr, _ := targetPhone.Stop()
	if cr.Successful != 1 || tr.Successful != 1 {
		t.Errorf("customer, colleague phones: %+v / %+v", cr.Counters, tr.Counters)
	}
	kept, all := cdrOf(t, p, 2, call1.ID)
	if kept.Disposition != "answered" || kept.HangupSide != "callee" || kept.A.PacketsIn < 50 || kept.B.PacketsIn < 100 {
		t.Errorf("the kept call's CDR = %+v", kept)
	}
	for _, x := range all {
		if x.ID == call2.ID && x.HangupCause != "transferred" {
			t.Errorf("the call to the colleague ended as %q, want transferred", x.HangupCause)
		}
	}
}

// A blind transfer by the caller whose target is busy ends the call: the
// agent is gone already, so the customer gets BYE and the CDR says why.
func TestCTIBlindTransferByCallerTargetBusy(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	agent, cust := newEndpoint(t, "127.0.146.1"), newEndpoint(t, "127.0.146.3")
	phone(t, p, "1001", "127.0.146.1", agent)
	custPhone := phone(t, p, "1003", "127.0.146.3", cust)
	p.Callee(t, "1005", "127.0.146.5", "uas_busy.xml", false, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
	callID, err := cl.Dial(ctx, "a1001", "1003", "")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == callID && c.Connected == "1003" })
	if err := cl.Transfer(ctx, "a1001", callID, "1005", "blind"); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	waitGone(t, p, callID, 10*time.Second)
	if cr, _ := custPhone.Stop(); cr.Successful != 1 {
		t.Errorf("the customer's phone was not hung up cleanly: %+v", cr.Counters)
	}
	if c, _ := cdrOf(t, p, 2, callID); c.HangupCause != "transfer_failed" || c.Disposition != "answered" {
		t.Errorf("CDR = %+v, want an answered call ended by transfer_failed", c)
	}
}
