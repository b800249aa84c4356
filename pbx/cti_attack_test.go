package pbx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
)

// An agent sends call.hangup for a colleague's call by its id: refused
// (forbidden), the call goes on; the agent on the call may end it.
func TestAttackAgentHangsUpAColleaguesCall(t *testing.T) {
	p, _ := ivrPBX(t)
	uas(t, p, "1003", "127.0.31.3", "uas_answer.xml", true, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	stranger := dialCTI(t, p, agentToken(t, p, "a1002"))
	owner := dialCTI(t, p, agentToken(t, p, "a1001"))
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- caller(t, p, "1001", "127.0.31.1", sipp.Scenario("uac_call.xml"), "1003", map[string]string{"talk_ms": "10000"})
	}()
	callID := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" }).ID

	err := stranger.Hangup(ctx, "a1002", callID)
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.Code != protocol.CodeForbidden {
		t.Fatalf("a colleague's hang-up: %v, want %s", err, protocol.CodeForbidden)
	}
	if still := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == callID }); still.State != "answered" {
		t.Fatalf("the call after a refused hang-up: %+v", still)
	}
	// Acting for the owner by name is no way round it either.
	if err := stranger.Hangup(ctx, "a1001", callID); err == nil {
		t.Fatal("an agent hung up a call acting for another agent")
	}
	if err := owner.Hangup(ctx, "a1001", callID); err != nil {
		t.Fatalf("the agent on the call: %v", err)
	}
	<-done
	if c := lastCDR(t, p, 1); c.ID != callID || c.HangupCause != "cti_hangup" {
		t.Fatalf("CDR %+v, want the call ended by the agent on it", c)
	}
}
