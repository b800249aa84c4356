package system_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// Requests and answers that come again — a late copy of the caller's
// INVITE after its ACK, a BYE whose 200 was lost, the callee's 200 whose
// ACK was lost — get what the first one got, although the B2BUA keeps no
// transaction for them once a call is set up: no second call, 200 again,
// an ACK again.
func TestCallRetransmissionsAfterTheirTransactions(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_reack.xml"), LocalIP: "127.0.121.2",
		// Lenient: after its second 200 the ACKs may cross it more than
		// once (see below), and a surplus ACK is not what this test is about.
		Lenient: true, TraceMsg: true, Dir: t.TempDir(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	p.Register(t, "1002", "127.0.121.2", callee.Port())
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_retransmit.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.121.1",
		User: "1001", Password: p.Secrets["1001"], Service: "1002", TraceMsg: true})
	if err := res.Check(1); err != nil {
		t.Errorf("caller: %v", err)
	}
	// SIPp answers a 200 equal to the last one it got by sending its last
	// request again, so the copies of the BYE and their 200s go back and
	// forth until the scenario ends: at least two 200s.
	if n := received(res.Messages, "SIP/2.0 200 OK", "CSeq: 3 BYE"); n < 2 {
		t.Errorf("the caller's BYE, sent twice, was answered 200 %d times, want 2 or more\n%s", n, res.Messages)
	}
	got, err := callee.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if got.Successful != 1 {
		t.Errorf("callee: %d calls successful, want 1", got.Successful)
	}
	// Two or more: copies may go back and forth, as with the BYE.
	if n := received(got.Messages, "ACK ", "ACK\r\n"); n < 2 {
		t.Errorf("the callee's 200, sent twice, was ACKed %d times, want 2 or more\n%s", n, got.Messages)
	}
	list := p.CDRs(t, 1)
	time.Sleep(300 * time.Millisecond) // a second call, failed at once, would have its CDR by now
	if list = p.CDRs(t, 1); len(list) != 1 {
		t.Fatalf("%d CDRs, want 1: the late INVITE copy must not start a call", len(list))
	}
	if c := list[0]; c.Disposition != "answered" || c.HangupSide != "caller" || c.HangupCause != "bye" {
		t.Errorf("CDR = %+v", c)
	}
	if n := p.Server.ActiveCalls(); n != 0 {
		t.Errorf("%d calls still active", n)
	}
}

// received counts the messages in a SIPp trace that SIPp received, begin
// with start and contain part.
func received(trace, start, part string) int {
	n := 0
	for _, m := range strings.Split(trace, "-----------------------------------------------") {
		_, body, ok := strings.Cut(m, "message received")
		if !ok {
			continue
		}
		_, body, _ = strings.Cut(body, ":\n\n")
		if strings.HasPrefix(strings.TrimLeft(body, "\r\n"), start) && strings.Contains(body, part) {
			n++
		}
	}
	return n
}

// A caller whose ACK comes 3.5 s late keeps getting the PBX's 200 — past
// the 2 s the caller's INVITE transaction stays Accepted (pbx's
// setAcceptedTimers), after which the B2BUA retransmits through the
// transport — and the call is set up and ends as any other.
func TestLateAckGetsThe200PastItsTransaction(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: "127.0.123.2",
		Dir: t.TempDir(), Timeout: 30 * time.Second, Vars: map[string]string{"hangup_ms": "20000"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	p.Register(t, "1002", "127.0.123.2", callee.Port())
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_late_ack.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.123.1",
		User: "1001", Password: p.Secrets["1001"], Service: "1002", TraceMsg: true, Lenient: true})
	if err := res.Check(1); err != nil {
		t.Errorf("caller: %v", err)
	}
	// The 200 at 0 s, then T1, 2*T1, 4*T1 later: 0.5, 1.5 and 3.5 s, the
	// last after the transaction is gone; the caller ACKs at 4 s.
	if n := received(res.Messages, "SIP/2.0 200 OK", "CSeq: 2 INVITE"); n < 4 {
		t.Errorf("the 200 reached the late-ACKing caller %d times in 4 s, want 4 or more\n%s", n, res.Messages)
	}
	list := p.CDRs(t, 1)
	if c := list[0]; c.Disposition != "answered" || c.HangupSide != "caller" || c.HangupCause != "bye" {
		t.Errorf("CDR = %+v, want answered, ended by the caller's BYE", c)
	}
}
