package b2bua

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"
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

	waitUnreachable(t, refs)

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
	// The resume's handler may still be returning: a transfer meanwhile
	// is rightly refused as busy.
	waitFor(t, "the re-INVITE handled", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return !x.reinviting
	})

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

// What an answered call keeps of the caller's INVITE (who calls whom, its
// tag, host and display name) is copied out: nothing keeps the INVITE's
// header lines, which the parsed strings are slices of.
func TestAnsweredCallKeepsNoLineOfTheInvite(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, nil)
	raw := "INVITE sip:1002@pbx.example:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-raw-1\r\n" +
		"From: \"Front Desk\" <sip:1001@pbx.example>;tag=rawtag1\r\n" +
		"To: <sip:1002@pbx.example>\r\n" +
		"Call-ID: raw-1@test\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Contact: <sip:1001@127.0.0.1:5070>\r\n" +
		"Max-Forwards: 70\r\n" +
		"Content-Type: application/sdp\r\n" +
		"Content-Length: " + strconv.Itoa(len(offerSDP)) + "\r\n\r\n" + offerSDP
	msg, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	req := msg.(*sip.Request)
	req.SetTransport("UDP")
	req.SetSource("127.0.0.1:5070")
	tag, _ := req.From().Params.Get("tag")
	lines := map[string]weak.Pointer[byte]{
		"the request line": weak.Make(unsafe.StringData(req.Recipient.User)),
		"the From line":    weak.Make(unsafe.StringData(tag)),
		"the display name": weak.Make(unsafe.StringData(req.From().DisplayName)),
	}
	c := &caller{h: h, ext: "1001", callID: "raw-1@test", tag: "rawtag1", seq: 1, tx: newServerTx(), done: make(chan struct{})}
	c.invite = sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1002", Host: "pbx.example", Port: 5060})
	c.invite.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	go func(req *sip.Request) {
		defer close(c.done)
		h.m.onInvite(req, c.tx)
	}(req)
	req, msg = nil, nil
	f := h.fork("1002")
	if from := f.s.req.From(); from.DisplayName != "Front Desk" {
		t.Errorf("the callee sees %q", from.DisplayName)
	}
	f.answer()
	h.take(sip.ACK, f.callID())
	c.expect(200)
	c.finished()
	c.ack()
	refs := map[string]func() bool{}
	for name, p := range lines {
		refs[name] = func() bool { return p.Value() != nil }
	}
	waitUnreachable(t, refs)
	x := h.callOfCaller(c)
	if x.caller != "1001" || x.callee != "1002" {
		t.Errorf("call %s → %s", x.caller, x.callee)
	}
	if res := c.bye(); res.StatusCode != 200 {
		t.Fatalf("BYE answered %d", res.StatusCode)
	}
	h.take(sip.BYE, f.callID())
}

// waitUnreachable collects garbage until none of refs (a name and whether
// it is still reachable) is, failing with those that stay: the call's own
// goroutines let go as they finish, which takes a moment on a loaded box.
func waitUnreachable(t *testing.T, refs map[string]func() bool) {
	t.Helper()
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
}
