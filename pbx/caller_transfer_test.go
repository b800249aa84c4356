package pbx_test

import (
	"context"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/pbxtest"
)

// Transfers by the side that placed the call: the agent's phone is side A
// (it dialled, or the PBX rang it first for click-to-dial) and the customer
// side B. The customer must end up talking with the target, the agent's
// leg hung up.

// mediaPhone is phone with SIPp variables (hangup_ms, ring_ms).
func mediaPhone(t *testing.T, p *pbxtest.PBX, ext, ip string, ep *rtpEndpoint, vars map[string]string) *sipp.Proc {
	t.Helper()
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", ip, ep.port()),
		LocalIP: ip, Vars: vars, Lenient: true, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	register(t, p, ext, ip, proc.Port())
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

// waitGone waits until call id has ended.
func waitGone(t *testing.T, p *pbxtest.PBX, id string, within time.Duration) {
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
func cdrOf(t *testing.T, p *pbxtest.PBX, n int, id string) (pbxstore.CDR, []pbxstore.CDR) {
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
	p, _ := ivrPBX(t)
	agent, cust, target := newEndpoint(t, "127.0.140.1"), newEndpoint(t, "127.0.140.3"), newEndpoint(t, "127.0.140.5")
	agentPhone := phone(t, p, "1001", "127.0.140.1", agent)
	custPhone := mediaPhone(t, p, "1003", "127.0.140.3", cust, map[string]string{"hangup_ms": "9000"})
	targetPhone := mediaPhone(t, p, "1005", "127.0.140.5", target, map[string]string{"ring_ms": "500"})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := dialCTI(t, p, agentToken(t, p, "a1001"))
	sys := dialCTI(t, p, ctiToken(t, p, "system"))
	if _, err := sys.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
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
