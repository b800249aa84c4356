package b2bua

import (
	"context"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/emiago/sipgo/sip"
)

// An answered call lets go of the caller's INVITE and its parsed offer, the
// INVITE it sent the callee, both transactions and our 200 once the caller
// has ACKed; what
// comes after the ACK (a late copy of the INVITE, a re-INVITE, a transfer,
// BYE) works from the few values the call copied out of them.
func TestAnsweredCallLetsItsInvitesGo(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}, "1003": {contact("1003", 5074)}}, nil)
	h.display = "Front Desk"
	c := h.dial("1001", "1002")
	f := h.fork("1002")
	x := h.callOfCaller(c)
	x.mu.Lock()
	offer := weak.Make(x.offer)
	x.mu.Unlock()
	f.answer()
	h.take(sip.ACK, f.callID())
	ok := c.expect(200)
	c.finished()
	c.ack()

	refs := map[string]func() bool{}
	watch := func(name string, p weak.Pointer[sip.Request]) { refs[name] = func() bool { return p.Value() != nil } }
	watch("the caller's INVITE", weak.Make(c.invite))
	watch("the INVITE to the callee", weak.Make(f.s.req))
	aTx, bTx, aOK := weak.Make(c.tx), weak.Make(f.s.tx), weak.Make(ok)
	refs["the caller's INVITE transaction"] = func() bool { return aTx.Value() != nil }
	refs["the callee's INVITE transaction"] = func() bool { return bTx.Value() != nil }
	refs["our 200 to the caller"] = func() bool { return aOK.Value() != nil }
	refs["the caller's parsed offer"] = func() bool { return offer.Value() != nil }
	// The test's own copies from here on.
	c.invite, c.tx, ok = c.invite.Clone(), nil, nil
	f.s = sent{req: f.s.req.Clone()}

	held := func() (names []string) {
		for name, alive := range refs {
			if alive() {
				names = append(names, name)
			}
		}
		return names
	}
	for deadline := time.Now().Add(10 * time.Second); len(held()) > 0 && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	if names := held(); len(names) > 0 {
		t.Fatalf("the answered call still holds %v", names)
	}

	// A copy of the INVITE arriving late starts nothing and gets nothing.
	late := c.invite.Clone()
	lateTx := newServerTx()
	h.m.onInvite(late, lateTx)
	select {
	case res := <-lateTx.res:
		t.Errorf("a late copy of the INVITE was answered %d", res.StatusCode)
	default:
	}
	h.none(sip.INVITE, "")

	// Hold and resume from the caller reach the callee in its dialog.
	c.reinvite(f, "sendonly", "recvonly")
	c.reinvite(f, "", "")

	// The callee transfers the caller: the target is rung as from the
	// caller, display name included.
	if err := h.m.BlindTransfer(context.Background(), "t1", x.id, "1002", "1003"); err != nil {
		t.Fatal(err)
	}
	h.take(sip.BYE, f.callID())
	target := h.fork("1003")
	if from := target.s.req.From(); from.Address.User != "1001" || from.DisplayName != "Front Desk" {
		t.Errorf("the target sees the call from %q <%s>, want \"Front Desk\" <1001>", from.DisplayName, from.Address.User)
	}
	answerTarget(t, h, x, target)

	// The caller hangs up: the target gets our BYE in its dialog.
	if res := c.bye(); res.StatusCode != 200 {
		t.Fatalf("the caller's BYE answered %d", res.StatusCode)
	}
	bye := h.take(sip.BYE, target.callID())
	if tag, _ := bye.req.To().Params.Get("tag"); tag != target.tag {
		t.Errorf("BYE to the target has To tag %q, want its %q", tag, target.tag)
	}
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "caller", CauseBye, 200)
}
