package system_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// Two phones registered as 1002: one rings on, the other answers after 1.5 s.
// The answering phone wins and the ringing one is cancelled.
func TestForkFirstAnswerWinsOthersCancelled(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	ringer := p.Callee(t, "1002", "127.0.11.2", "uas_noanswer.xml", false, nil)
	answerer := p.Callee(t, "1002", "127.0.11.3", "uas_answer.xml", true, map[string]string{"ring_ms": "1500"})
	res := p.Call(t, "1001", "127.0.11.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "7200"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" {
		t.Fatalf("CDR = %+v", c)
	}
	within(t, "ring time", c.Ring, 1500*time.Millisecond, 700*time.Millisecond)
	rr, err := ringer.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if rr.Successful != 1 {
		t.Errorf("the losing fork was not cancelled (its scenario ends only via CANCEL): %+v\n%s", rr.Counters, rr.Errors)
	}
	ar, _ := answerer.Stop()
	if ar.Successful != 1 {
		t.Errorf("the answering fork: %d successful\n%s", ar.Successful, ar.Errors)
	}
}

// Early media: the callee's 183 with SDP is relayed, and its audio reaches the
// caller before the call is answered.
func TestEarlyMediaReachesCallerBeforeAnswer(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.12.2", "uas_early.xml", false, map[string]string{"early_ms": "3000"})
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.12.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "7200"})
	}()
	var earlyPackets uint64
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var calls []struct {
			State     string    `json:"state"`
			PacketsIn [2]uint64 `json:"packets_in"`
		}
		p.AdminJSON(t, "/api/v1/calls", &calls)
		if len(calls) == 1 && calls[0].State == "ringing" && calls[0].PacketsIn[1] > 20 {
			earlyPackets = calls[0].PacketsIn[1]
			break
		}
	}
	if earlyPackets == 0 {
		t.Error("no early media from the callee reached the relay while ringing")
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" || c.B.PacketsOut < earlyPackets {
		t.Fatalf("CDR = %+v (early packets %d)", c, earlyPackets)
	}
	within(t, "ring time", c.Ring, 3*time.Second, 800*time.Millisecond)
}

// The callee hangs up: the caller gets the BYE and the CDR says so.
func TestCalleeHangsUp(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.13.2", "uas_answer.xml", true, map[string]string{"hangup_ms": "2000"})
	// A caller that waits for the far end's BYE: its call succeeds only if
	// the BYE reaches it and it answers it.
	res := p.Call(t, "1001", "127.0.13.1", ivrCaller(t, nil, "wait_bye"), "1002", nil)
	if err := res.Check(1); err != nil {
		t.Errorf("the callee's BYE did not reach the caller: %v", err)
	}
	c := lastCDR(t, p, 1)
	if c.HangupSide != "callee" || c.HangupCause != "bye" {
		t.Fatalf("CDR = %+v", c)
	}
	within(t, "talk", c.Talk, 2*time.Second, 800*time.Millisecond)
	if p.Server.ActiveCalls() != 0 {
		t.Error("call still active")
	}
}
