package b2bua

import (
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/emiago/sipgo/sip"
)

// twoForks dials 1002, registered at two phones, and returns the caller and
// the two forks, ordered by the phone's port.
func twoForks(t *testing.T, tweak func(*Config)) (*harness, *caller, *forked, *forked) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072), contact("1002", 5073)}}, tweak)
	c := h.dial("1001", "1002")
	f1, f2 := h.fork("1002"), h.fork("1002")
	if f1.s.req.Recipient.Port > f2.s.req.Recipient.Port {
		f1, f2 = f2, f1
	}
	if f1.callID() == f2.callID() {
		t.Fatal("two forks share a Call-ID")
	}
	return h, c, f1, f2
}

func TestForkFirstAnswerWinsOthersCancelledLateAnswerHungUp(t *testing.T) {
	h, c, f1, f2 := twoForks(t, nil)
	f1.respond(180, nil)
	c.expect(180)
	f2.respond(180, nil)
	f2.answer()
	if ack := h.take(sip.ACK, f2.callID()); ack.tx != nil || ack.req.CSeq().SeqNo != f2.s.req.CSeq().SeqNo {
		t.Errorf("the winner's 200 is not ACKed outside a transaction with the INVITE's CSeq: %v", ack.req)
	}
	ok := c.expect(200)
	if !strings.Contains(string(ok.Body()), "c=IN IP4 127.0.0.1") || ok.Contact() == nil {
		t.Errorf("the caller's 200 lacks the relay's SDP or a Contact:\n%s", ok.Body())
	}
	cancel := h.take(sip.CANCEL, f1.callID())
	if cancel.req.CSeq().SeqNo != f1.s.req.CSeq().SeqNo || cancel.req.Via().Params.String() != f1.s.req.Via().Params.String() {
		t.Errorf("CANCEL does not match the INVITE it cancels: %s / %s", cancel.req.Via(), f1.s.req.Via())
	}
	h.none(sip.CANCEL, f2.callID())
	c.finished()

	// The losing phone answers anyway, its 200 crossing our CANCEL.
	f1.answer()
	h.take(sip.ACK, f1.callID())
	h.take(sip.BYE, f1.callID())

	c.ack()
	if res := c.bye(); res.StatusCode != 200 {
		t.Fatalf("caller's BYE answered %d", res.StatusCode)
	}
	h.take(sip.BYE, f2.callID())
	h.none(sip.BYE, c.callID)
	cdr := h.cdr(c.callID)
	wantCDR(t, cdr, DispositionAnswered, "caller", CauseBye, 200)
	if cdr.BCallID != f2.callID() || cdr.Answer.IsZero() {
		t.Errorf("CDR names callee leg %q answered at %v, want %q", cdr.BCallID, cdr.Answer, f2.callID())
	}
	if h.m.Active() != 0 {
		t.Errorf("%d calls still tracked", h.m.Active())
	}
}

// RFC 3261 §9.1: a fork is CANCELled only once it has sent a provisional
// response; one that has not is CANCELled when it does.
func TestCallerCancelBeforeAnswer(t *testing.T) {
	h, c, f1, f2 := twoForks(t, nil)
	f1.respond(180, nil)
	c.expect(180)
	x := h.callOfCaller(c)
	c.tx.cancel()
	c.finished()
	h.take(sip.CANCEL, f1.callID())
	h.none(sip.CANCEL, f2.callID())
	select {
	case res := <-c.tx.res:
		t.Errorf("the PBX answered a cancelled INVITE %d itself; the transaction layer sends the 487", res.StatusCode)
	default:
	}
	wantCDR(t, h.cdr(c.callID), DispositionCancelled, "caller", CauseCancel, 487)
	if x.ctx.Err() == nil {
		t.Error("the call's context outlived the call")
	}

	f2.respond(180, nil)
	h.take(sip.CANCEL, f2.callID())
	f1.respond(487, nil)
	f2.respond(487, nil)
	h.none(sip.BYE, "")
}

func TestRingTimeout(t *testing.T) {
	h, c, f1, f2 := twoForks(t, func(cfg *Config) { cfg.RingTimeout = 50 * time.Millisecond })
	f1.respond(180, nil)
	f2.respond(183, sdpBody(5073, "")) // early media from the other phone
	if res := c.response(); res.StatusCode != 180 && res.StatusCode != 183 {
		t.Fatalf("caller got %d while ringing", res.StatusCode)
	}
	for {
		res := c.response()
		if res.StatusCode < 200 {
			continue
		}
		if res.StatusCode != 408 {
			t.Fatalf("caller got %d at the ring timeout, want 408", res.StatusCode)
		}
		break
	}
	c.finished()
	h.take(sip.CANCEL, f1.callID())
	h.take(sip.CANCEL, f2.callID())
	wantCDR(t, h.cdr(c.callID), DispositionNoAnswer, "system", CauseRingTimeout, 408)
}

// When every fork fails the caller gets the most telling of their codes.
func TestAllForksFail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		codes  [2]int
		caller int
		disp   Disposition
	}{
		{"busy wins", [2]int{480, 486}, 486, DispositionBusy},
		{"busy everywhere", [2]int{600, 603}, 486, DispositionBusy},
		{"declined", [2]int{603, 480}, 603, DispositionRejected},
		{"offer refused", [2]int{404, 488}, 488, DispositionRejectedCodec},
		{"anything else", [2]int{404, 500}, 480, DispositionUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c, f1, f2 := twoForks(t, nil)
			f1.respond(tc.codes[0], nil)
			h.none(sip.CANCEL, "")
			f2.respond(tc.codes[1], nil)
			c.expect(tc.caller)
			c.finished()
			wantCDR(t, h.cdr(c.callID), tc.disp, "callee", CauseRejected, tc.caller)
		})
	}
}

// INVITEs the PBX refuses before ringing anyone still leave a CDR.
func TestRejectedBeforeRinging(t *testing.T) {
	for _, tc := range []struct {
		name, callee string
		body         []byte
		code         int
		disp         Disposition
	}{
		{"unknown extension", "1999", nil, 404, DispositionNotFound},
		{"not registered", "1003", nil, 480, DispositionUnavailable},
		{"no SDP", "1002", []byte{}, 488, DispositionRejectedCodec},
		{"no common codec", "1002", []byte(strings.ReplaceAll(offerSDP, "RTP/AVP 0 101", "RTP/AVP 18")), 488, DispositionRejectedCodec},
		{"malformed SDP", "1002", []byte("v=0\r\nm=audio\r\n"), 400, DispositionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, contacts{"1002": {contact("1002", 5072)}, "1003": nil}, nil)
			c := h.dialWith("1001", tc.callee, tc.body)
			c.expect(tc.code)
			c.finished()
			wantCDR(t, h.cdr(c.callID), tc.disp, "system", CauseRejected, tc.code)
			h.none(sip.INVITE, "")
		})
	}
}

// answered dials 1002 (one phone) and answers: the call is up and ACKed.
func answered(t *testing.T, loc contacts, tweak func(*Config)) (*harness, *caller, *forked) {
	if loc == nil {
		loc = contacts{}
	}
	loc["1002"] = []Target{contact("1002", 5072)}
	h := newHarness(t, loc, tweak)
	c := h.dial("1001", "1002")
	f := h.fork("1002")
	f.answer()
	h.take(sip.ACK, f.callID())
	c.expect(200)
	c.finished()
	c.ack()
	return h, c, f
}

func TestCalleeHangsUp(t *testing.T) {
	h, c, f := answered(t, nil, nil)
	h.clock.advance(42 * time.Second)
	if res := f.bye(2); res.StatusCode != 200 {
		t.Fatalf("callee's BYE answered %d", res.StatusCode)
	}
	bye := h.take(sip.BYE, c.callID)
	if tag, _ := bye.req.From().Params.Get("tag"); tag != c.ours {
		t.Errorf("BYE to the caller has From tag %q, want the PBX's %q", tag, c.ours)
	}
	cdr := h.cdr(c.callID)
	wantCDR(t, cdr, DispositionAnswered, "callee", CauseBye, 200)
	if cdr.Talk != 42*time.Second {
		t.Errorf("talk %s, want 42s", cdr.Talk)
	}
	// Our 200 was lost: the retransmitted BYE gets it again; a new one 481.
	if res := f.bye(2); res.StatusCode != 200 {
		t.Errorf("retransmitted BYE answered %d, want 200", res.StatusCode)
	}
	if res := f.bye(3); res.StatusCode != 481 {
		t.Errorf("BYE in an ended dialog answered %d, want 481", res.StatusCode)
	}
}

// reinvite sends an in-dialog INVITE from the caller with direction dir;
// the PBX relays it to the callee, whose answer the test gives as ansDir.
func (c *caller) reinvite(f *forked, dir, ansDir string) {
	c.h.t.Helper()
	// The previous re-INVITE's handler may not have returned yet: a
	// re-INVITE meanwhile would rightly get 491.
	x := c.h.callOfCaller(c)
	for busy := true; busy; {
		x.mu.Lock()
		busy = x.reinviting
		x.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	req, tx := c.request(sip.INVITE, sdpBody(4000, dir))
	go c.h.m.onInvite(req, tx)
	out := c.h.take(sip.INVITE, f.callID())
	if dir != "" && !strings.Contains(string(out.req.Body()), "a="+dir) {
		c.h.t.Errorf("re-INVITE relayed without a=%s:\n%s", dir, out.req.Body())
	}
	res := sip.NewResponseFromRequest(out.req, 200, "OK", sdpBody(5072, ansDir))
	out.tx.res <- res
	c.h.take(sip.ACK, f.callID())
	for {
		select {
		case res := <-tx.res:
			if res.StatusCode == 100 {
				continue
			}
			if res.StatusCode != 200 {
				c.h.t.Fatalf("re-INVITE answered %d", res.StatusCode)
			}
			return
		case <-time.After(patience):
			c.h.t.Fatal("re-INVITE not answered")
		}
	}
}

func TestHoldTimeIsAccounted(t *testing.T) {
	h, c, f := answered(t, nil, nil)
	h.clock.advance(time.Second)
	c.reinvite(f, "sendonly", "recvonly")
	if x := h.callOfCaller(c); !x.info().OnHold {
		t.Error("call not on hold after a sendonly re-INVITE")
	}
	h.clock.advance(7 * time.Second)
	c.reinvite(f, "", "")
	h.clock.advance(3 * time.Second)
	c.reinvite(f, "inactive", "inactive")
	h.clock.advance(2 * time.Second) // still held when the call ends
	c.bye()
	cdr := h.cdr(c.callID)
	if cdr.Hold != 9*time.Second || cdr.Talk != 13*time.Second {
		t.Errorf("hold %s talk %s, want 9s of 13s", cdr.Hold, cdr.Talk)
	}
}

// A re-INVITE still waiting on the other leg when the call ends is answered
// 487 (RFC 3261 §15.1.2), not left to time out.
func TestReinvitePendingWhenCallEnds(t *testing.T) {
	h, c, f := answered(t, nil, nil)
	req, tx := c.request(sip.INVITE, sdpBody(4000, "sendonly"))
	go h.m.onInvite(req, tx)
	h.take(sip.INVITE, f.callID()) // never answered
	if res := <-tx.res; res.StatusCode != 100 {
		t.Fatalf("got %d, want 100 first", res.StatusCode)
	}
	f.bye(2)
	select {
	case res := <-tx.res:
		if res.StatusCode != 487 {
			t.Errorf("pending re-INVITE answered %d when the call ended, want 487", res.StatusCode)
		}
	case <-time.After(patience):
		t.Fatal("pending re-INVITE not answered when the call ended")
	}
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "callee", CauseBye, 200)
}

// dialWith is dial with the INVITE's body replaced (nil keeps the offer).
func (h *harness) dialWith(from, callee string, body []byte) *caller {
	if body == nil {
		return h.dial(from, callee)
	}
	h.bodyOverride = body
	defer func() { h.bodyOverride = nil }()
	return h.dial(from, callee)
}

// A retransmitted 200 whose transaction is gone (our ACK was lost) is
// ACKed again, and only a losing fork's is hung up.
func TestStray2xxIsReACKed(t *testing.T) {
	h, c, f := answered(t, nil, nil)
	res := sip.NewResponseFromRequest(f.s.req, 200, "OK", sdpBody(5072, ""))
	res.To().Params.Add("tag", f.tag)
	h.m.HandleStrayResponse(res)
	h.take(sip.ACK, f.callID())
	h.none(sip.BYE, "")
	c.bye()
	h.take(sip.BYE, f.callID())
}

// A fork whose transaction dies without a final response (a transport
// error, Timer B) counts as failed.
func TestForkTransactionDies(t *testing.T) {
	h, c, f1, f2 := twoForks(t, nil)
	f1.s.tx.Terminate()
	h.none(sip.CANCEL, "")
	f2.respond(486, nil)
	c.expect(486)
	wantCDR(t, h.cdr(c.callID), DispositionBusy, "callee", CauseRejected, 486)
}

// An ended call is not kept alive by the caller's INVITE transaction, which
// outlives it by up to Timer L (32 s) with its CANCEL handler set: at a high
// call rate that held every recent call's media bridge and dialogs.
func TestEndedCallIsNotHeldByItsInviteTransaction(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, nil)
	c := h.dial("1001", "1002")
	f := h.fork("1002")
	f.answer()
	h.take(sip.ACK, f.callID())
	c.expect(200)
	c.finished()
	c.ack()
	h.m.mu.Lock()
	var ref weak.Pointer[call]
	for cl := range h.m.calls {
		ref = weak.Make(cl)
	}
	h.m.mu.Unlock()
	if ref.Value() == nil {
		t.Fatal("no call tracked")
	}
	if res := c.bye(); res.StatusCode != 200 {
		t.Fatalf("BYE answered %d", res.StatusCode)
	}
	h.take(sip.BYE, f.callID())
	// The call's own goroutines (its media watch, the CDR's writer) let go
	// of it as they finish: give them time on a loaded machine.
	for deadline := time.Now().Add(10 * time.Second); ref.Value() != nil && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	if ref.Value() != nil {
		t.Fatal("the ended call is still reachable")
	}
	// The transaction still holds its handler; a late CANCEL finds nothing.
	c.tx.cancel()
	runtime.KeepAlive(c.tx)
}
