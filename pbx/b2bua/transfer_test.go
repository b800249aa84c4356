package b2bua

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
)

// transferCall is an answered call 1001 → 1002 with 1003 registered as a
// transfer target.
func transferCall(t *testing.T) (*harness, *caller, *forked, *call) {
	h, c, f := answered(t, contacts{"1003": {contact("1003", 5074)}, "1004": nil}, nil)
	return h, c, f, h.callOfCaller(c)
}

// answerTarget answers a transfer's target and waits until it is side B.
func answerTarget(t *testing.T, h *harness, x *call, target *forked) {
	t.Helper()
	ext := target.s.req.Recipient.User
	target.answer()
	h.take(sip.ACK, target.callID())
	waitFor(t, "the target bridged", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.winner != nil && x.winner.ext == ext
	})
}

func TestBlindTransferByCallee(t *testing.T) {
	h, c, agent, x := transferCall(t)
	if err := h.m.BlindTransfer(context.Background(), "t1", x.id, "1002", "1003"); err != nil {
		t.Fatal(err)
	}
	h.take(sip.BYE, agent.callID()) // the transferring agent is let go at once
	target := h.fork("1003")
	if from := target.s.req.From().Address.User; from != "1001" {
		t.Errorf("the target sees the call from %q, want the caller 1001", from)
	}
	target.respond(180, nil)
	answerTarget(t, h, x, target)
	h.none(sip.BYE, c.callID) // the caller stays, never re-INVITEd
	h.none(sip.INVITE, c.callID)

	target.bye(2)
	h.take(sip.BYE, c.callID)
	cdr := h.cdr(c.callID)
	wantCDR(t, cdr, DispositionAnswered, "callee", CauseBye, 200)
	if cdr.BCallID != target.callID() {
		t.Errorf("CDR callee leg %q, want the target's %q", cdr.BCallID, target.callID())
	}
}

// A call that did not come through an application ends when the target of
// a blind transfer does not answer.
func TestBlindTransferTargetBusyEndsTheCall(t *testing.T) {
	h, c, agent, x := transferCall(t)
	if err := h.m.BlindTransfer(context.Background(), "t1", x.id, "1002", "1003"); err != nil {
		t.Fatal(err)
	}
	h.take(sip.BYE, agent.callID())
	h.fork("1003").respond(486, nil)
	h.take(sip.BYE, c.callID)
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "system", CauseTransferFailed, 200)
}

func TestBlindTransferRules(t *testing.T) {
	h, _, agent, x := transferCall(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, ext, to string
		want          error
	}{
		{"not a party", "1009", "1003", errs.ErrForbidden},
		// The caller's side is refused a target that cannot ring before
		// the caller is let go, so it stays with the other party.
		{"caller to an unknown extension", "1001", "1999", errs.ErrNotFound},
		{"caller to an unregistered one", "1001", "1004", errs.ErrUnavailable},
	} {
		if err := h.m.BlindTransfer(ctx, "t1", x.id, tc.ext, tc.to); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := h.m.BlindTransfer(ctx, "t2", x.id, "1002", "1003"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("another tenant's call: err %v, want ErrNotFound", err)
	}
	h.none(sip.BYE, "")
	h.none(sip.INVITE, "")

	// One transfer at a time.
	if err := h.m.BlindTransfer(ctx, "t1", x.id, "1002", "1003"); err != nil {
		t.Fatal(err)
	}
	h.take(sip.BYE, agent.callID())
	h.fork("1003").respond(180, nil)
	if err := h.m.BlindTransfer(ctx, "t1", x.id, "1001", "1003"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("a second transfer while the first rings: err %v, want ErrConflict", err)
	}
}

// The caller hanging up while a blind transfer's target rings stops the
// ringing: the target is CANCELled, not left ringing to the ring timeout.
func TestTransferRingStopsWhenCallerHangsUp(t *testing.T) {
	h, c, agent, x := transferCall(t)
	if err := h.m.BlindTransfer(context.Background(), "t1", x.id, "1002", "1003"); err != nil {
		t.Fatal(err)
	}
	h.take(sip.BYE, agent.callID())
	target := h.fork("1003")
	target.respond(180, nil)
	if res := c.bye(); res.StatusCode != 200 {
		t.Fatalf("caller's BYE answered %d", res.StatusCode)
	}
	h.take(sip.CANCEL, target.callID())
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "caller", CauseBye, 200)
	// Its 200 crossing the CANCEL is hung up.
	target.answer()
	h.take(sip.ACK, target.callID())
	h.take(sip.BYE, target.callID())
}

// appFunc is an Application.
type appFunc func(ctx context.Context, l *LocalCall)

func (f appFunc) Run(ctx context.Context, l *LocalCall) { f(ctx, l) }

type oneApp struct {
	number string
	app    Application
}

func (r oneApp) App(_, number string) (Application, bool) {
	if number == r.number {
		return r.app, true
	}
	return nil, false
}

// An application runs with the call's context: it ends when the caller
// hangs up, and an application that transfers hands the caller over.
func TestApplicationCall(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, nil)
	ended := make(chan error, 1)
	codes := make(chan int, 1)
	h.m.SetApps(oneApp{"8000", appFunc(func(ctx context.Context, l *LocalCall) {
		if err := l.Answer(ctx); err != nil {
			ended <- err
			return
		}
		code, err := l.Transfer(ctx, "1002")
		codes <- code
		if err != nil || code != 200 {
			ended <- err
			return
		}
		<-ctx.Done()
		ended <- ctx.Err()
	})})
	c := h.dial("1001", "8000")
	c.expect(200)
	c.finished()
	c.ack()
	agent := h.fork("1002")
	agent.answer()
	h.take(sip.ACK, agent.callID())
	select {
	case code := <-codes:
		if code != 200 {
			t.Fatalf("transfer from the application: %d", code)
		}
	case <-time.After(patience):
		t.Fatal("the application's transfer did not return")
	}
	c.bye()
	h.take(sip.BYE, agent.callID())
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("application ended with %v, want its context cancelled", err)
		}
	case <-time.After(patience):
		t.Fatal("the application still runs after the caller hung up")
	}
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "caller", CauseBye, 200)
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, patience)
		}
		time.Sleep(time.Millisecond)
	}
}

// A phone's REFER is a blind transfer: 202, a NOTIFY with the outcome of
// starting it, then our BYE; the target is rung.
func TestReferFromCallee(t *testing.T) {
	h, c, agent, _ := transferCall(t)
	req, tx := agent.request(sip.REFER, 2)
	h.m.onRefer(req, tx)
	if res := <-tx.res; res.StatusCode != 400 {
		t.Errorf("REFER without Refer-To answered %d, want 400", res.StatusCode)
	}
	req, tx = agent.request(sip.REFER, 3)
	req.AppendHeader(sip.NewHeader("Refer-To", "<sip:1003@127.0.0.1>"))
	h.m.onRefer(req, tx)
	if res := <-tx.res; res.StatusCode != 202 {
		t.Fatalf("REFER answered %d, want 202", res.StatusCode)
	}
	notify := h.take(sip.NOTIFY, agent.callID())
	if string(notify.req.Body()) != "SIP/2.0 200 OK" || notify.req.GetHeader("Event").Value() != "refer" {
		t.Errorf("NOTIFY %q (Event %s), want a 200 sipfrag", notify.req.Body(), notify.req.GetHeader("Event").Value())
	}
	h.take(sip.BYE, agent.callID())
	target := h.fork("1003")
	target.answer()
	h.take(sip.ACK, target.callID())
	h.none(sip.BYE, c.callID)
	// The agent, transferred away, is no longer a party.
	if res := agent.bye(4); res.StatusCode != 481 {
		t.Errorf("the transferred agent's BYE answered %d, want 481", res.StatusCode)
	}
	c.bye()
	h.take(sip.BYE, target.callID())
}

// The extension an application transferred to hanging up returns the
// caller to the application (a survey), which then hangs up.
func TestAgentHangsUpBackToApplication(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, nil)
	bridged, back := make(chan bool, 1), make(chan bool, 1)
	h.m.SetApps(oneApp{"8000", appFunc(func(ctx context.Context, l *LocalCall) {
		if l.Answer(ctx) != nil {
			return
		}
		code, err := l.Transfer(ctx, "1002")
		bridged <- code == 200 && err == nil && l.Transferred()
		select {
		case <-l.BridgeEnded():
			back <- !l.Transferred()
		case <-ctx.Done():
			back <- false
			return
		}
		l.Hangup(ctx)
	})})
	c := agentHangsUpAfterAppTransfer(t, h, bridged)
	select {
	case ok := <-back:
		if !ok {
			t.Fatal("the application did not get its caller back")
		}
	case <-time.After(patience):
		t.Fatal("the application did not get its caller back")
	}
	h.take(sip.BYE, c.callID)
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "system", CauseAppHangup, 200)
}

// An application that asks for BridgeEnded only after the agent has
// already hung up is told so at once, not left waiting on nothing.
func TestBridgeEndedAskedAfterTheAgentHungUp(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, nil)
	bridged, hungUp, back := make(chan bool, 1), make(chan struct{}), make(chan bool, 1)
	h.m.SetApps(oneApp{"8000", appFunc(func(ctx context.Context, l *LocalCall) {
		if l.Answer(ctx) != nil {
			return
		}
		code, err := l.Transfer(ctx, "1002")
		bridged <- code == 200 && err == nil
		<-hungUp
		select {
		case <-l.BridgeEnded():
			back <- !l.Transferred()
		case <-time.After(patience):
			back <- false
		}
		l.Hangup(ctx)
	})})
	c := agentHangsUpAfterAppTransfer(t, h, bridged)
	close(hungUp)
	if !<-back {
		t.Fatal("BridgeEnded asked after the agent hung up did not say so")
	}
	h.take(sip.BYE, c.callID)
}

// agentHangsUpAfterAppTransfer dials the application on 8000, lets its
// transfer to 1002 be answered, waits for the application to say it
// bridged, and has the agent hang up.
func agentHangsUpAfterAppTransfer(t *testing.T, h *harness, bridged <-chan bool) *caller {
	t.Helper()
	c := h.dial("1001", "8000")
	c.expect(200)
	c.ack()
	agent := h.fork("1002")
	agent.answer()
	h.take(sip.ACK, agent.callID())
	if !<-bridged {
		t.Fatal("the application's transfer did not bridge the agent")
	}
	if res := agent.bye(2); res.StatusCode != 200 {
		t.Fatalf("the agent's BYE answered %d", res.StatusCode)
	}
	return c
}
