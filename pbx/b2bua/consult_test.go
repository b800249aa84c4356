package b2bua

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
)

// answerReinvite answers the PBX's re-INVITE in dialog callID, which must
// offer dir, and checks it is ACKed.
func (h *harness) answerReinvite(callID, dir string) {
	h.t.Helper()
	out := h.take(sip.INVITE, callID)
	if !strings.Contains(string(out.req.Body()), "a="+dir) {
		h.t.Errorf("re-INVITE in %s offers no a=%s:\n%s", callID, dir, out.req.Body())
	}
	out.tx.res <- sip.NewResponseFromRequest(out.req, 200, "OK", sdpBody(4000, ""))
	h.take(sip.ACK, callID)
}

// async runs f and returns its error on a channel.
func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func wait(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(patience):
		t.Fatal("call control did not return")
		return nil
	}
}

func TestHoldFromCTI(t *testing.T) {
	h, c, _, x := transferCall(t)
	ctx := context.Background()
	if err := h.m.Hold(ctx, "t1", x.id, "1009", true); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("hold by a non-party: %v, want ErrForbidden", err)
	}
	done := async(func() error { return h.m.Hold(ctx, "t1", x.id, "1002", true) })
	h.answerReinvite(c.callID, "sendonly") // the agent holds the caller
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	if !x.info().OnHold {
		t.Error("not on hold")
	}
	h.clock.advance(5 * time.Second)
	if err := h.m.Hold(ctx, "t1", x.id, "1002", true); err != nil {
		t.Errorf("holding a held call again: %v", err)
	}
	h.none(sip.INVITE, c.callID) // nothing to send: it is held already
	done = async(func() error { return h.m.Hold(ctx, "t1", x.id, "1002", false) })
	h.answerReinvite(c.callID, "sendrecv")
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	c.bye()
	if cdr := h.cdr(c.callID); cdr.Hold != 5*time.Second {
		t.Errorf("hold %s, want 5s", cdr.Hold)
	}
}

// consulting starts 1002's consultation of 1003 on the call; the caller is
// held, and the target is rung from the PBX.
func consulting(t *testing.T) (*harness, *caller, *forked, *call, *forked) {
	h, c, agent, x := transferCall(t)
	done := async(func() error { return h.m.Consult(context.Background(), "t1", x.id, "1002", "1003") })
	h.answerReinvite(c.callID, "sendonly")
	target := h.fork("1003")
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	if from := target.s.req.From().Address.User; from != "1002" {
		t.Errorf("the consulted phone sees the call from %q, want the agent 1002", from)
	}
	return h, c, agent, x, target
}

func TestConsultThenComplete(t *testing.T) {
	h, c, agent, x, target := consulting(t)
	ctx := context.Background()
	if err := h.m.CompleteConsult(ctx, "t1", x.id, "1002", ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("completing before the target answered: %v, want ErrConflict", err)
	}
	if err := h.m.BlindTransfer(ctx, "t1", x.id, "1002", "1003"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("a blind transfer during a consultation: %v, want ErrConflict", err)
	}
	target.answer()
	h.take(sip.ACK, target.callID())
	waitTalking(t, x)
	if err := h.m.CompleteConsult(ctx, "t1", x.id, "1002", "1004"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("completing to someone else: %v, want ErrConflict", err)
	}
	done := async(func() error { return h.m.CompleteConsult(ctx, "t1", x.id, "1002", "1003") })
	h.take(sip.BYE, agent.callID())
	h.answerReinvite(c.callID, "sendrecv") // the caller resumed, now with the target
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	// The consultation call ends as transferred; the call goes on under its id.
	k := h.cdr(target.callID())
	if k.HangupSide != "system" || k.HangupCause != CauseTransferred.String() {
		t.Errorf("consultation call's CDR %s/%s, want system/transferred", k.HangupSide, k.HangupCause)
	}
	h.none(sip.BYE, target.callID())
	c.bye()
	h.take(sip.BYE, target.callID())
	cdr := h.cdr(c.callID)
	wantCDR(t, cdr, DispositionAnswered, "caller", CauseBye, 200)
	if cdr.BCallID != target.callID() {
		t.Errorf("CDR callee leg %q, want the target's %q", cdr.BCallID, target.callID())
	}
}

// The target not answering ends the consultation only: the agent is back
// with the caller, who is resumed.
func TestConsultTargetBusy(t *testing.T) {
	h, c, agent, x, target := consulting(t)
	target.respond(486, nil)
	h.answerReinvite(c.callID, "sendrecv")
	k := h.cdr(target.callID())
	if k.Disposition != DispositionAgentUnavailable.String() || k.HangupCause != CauseAgentRejected.String() || k.SIPCode != 486 {
		t.Errorf("consultation call's CDR %s/%s/%d, want agent_unavailable/agent_rejected/486", k.Disposition, k.HangupCause, k.SIPCode)
	}
	waitFor(t, "the consultation over", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.consult == nil
	})
	h.none(sip.BYE, agent.callID())
	h.none(sip.BYE, c.callID)
	agent.bye(2)
	h.take(sip.BYE, c.callID)
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "callee", CauseBye, 200)
}

// The held caller hanging up ends the consultation call too.
func TestConsultCallerHangsUp(t *testing.T) {
	h, c, agent, _, target := consulting(t)
	target.answer()
	h.take(sip.ACK, target.callID())
	c.bye()
	h.take(sip.BYE, agent.callID())
	h.take(sip.BYE, target.callID())
	k := h.cdr(target.callID())
	if k.HangupCause != CauseConsultAbandoned.String() {
		t.Errorf("consultation call ended with %q, want consult_abandoned", k.HangupCause)
	}
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "caller", CauseBye, 200)
}

// Cancelling puts the agent back: the target's call ends as
// consult_cancelled and the caller is resumed.
func TestConsultCancel(t *testing.T) {
	h, c, agent, x, target := consulting(t)
	target.answer()
	h.take(sip.ACK, target.callID())
	waitTalking(t, x)
	ctx := context.Background()
	if err := h.m.CancelConsult(ctx, "t1", x.id, "1001"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("cancelled by the caller, who is not consulting: %v, want ErrForbidden", err)
	}
	done := async(func() error { return h.m.CancelConsult(ctx, "t1", x.id, "1002") })
	h.take(sip.BYE, target.callID())
	h.answerReinvite(c.callID, "sendrecv")
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	if k := h.cdr(target.callID()); k.HangupCause != CauseConsultCancelled.String() {
		t.Errorf("consultation call ended with %q, want consult_cancelled", k.HangupCause)
	}
	if err := h.m.CancelConsult(ctx, "t1", x.id, "1002"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("cancelling twice: %v, want ErrConflict", err)
	}
	h.none(sip.BYE, agent.callID())
	c.bye()
	h.take(sip.BYE, agent.callID())
}

// waitTalking waits until the consulted target is spliced to the agent.
func waitTalking(t *testing.T, x *call) {
	t.Helper()
	waitFor(t, "the agent spliced to the target", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.consult != nil && x.consult.talking
	})
}
