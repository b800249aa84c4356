package b2bua

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Click-to-dial: the agent's phone is rung first, then the number; the
// CDR says which of them did not answer.
func TestOriginateOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		agent, to  int // the agent's and the number's answers; 0: not rung
		disp       Disposition
		side       string
		cause      Cause
		code       int
		agentGoing bool // the agent is sent BYE
	}{
		{"agent refuses", 603, 0, DispositionAgentUnavailable, "callee", CauseAgentRejected, 603, false},
		{"number busy", 200, 486, DispositionBusy, "system", CauseCalleeNoAnswer, 486, true},
		{"number declines", 200, 603, DispositionNoAnswer, "system", CauseCalleeNoAnswer, 603, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, contacts{"1002": {contact("1002", 5072)}, "1003": {contact("1003", 5074)}}, nil)
			id, err := h.m.Originate(context.Background(), "t1", "1002", "1003", "")
			if err != nil || id == "" {
				t.Fatalf("originate: %q %v", id, err)
			}
			agent := h.fork("1002")
			if from := agent.s.req.From().Address.User; from != "1003" {
				t.Errorf("the agent's phone shows %q, want the number it will reach", from)
			}
			agent.respond(180, nil)
			if tc.agent != 200 {
				agent.respond(tc.agent, nil)
			} else {
				agent.answer()
				h.take(sip.ACK, agent.callID())
				number := h.fork("1003")
				number.respond(tc.to, nil)
			}
			if tc.agentGoing {
				h.take(sip.BYE, agent.callID())
			} else {
				h.none(sip.BYE, "")
			}
			wantCDR(t, h.cdr(agent.callID()), tc.disp, tc.side, tc.cause, tc.code)
		})
	}
}

func TestOriginateAgentNoAnswer(t *testing.T) {
	h := newHarness(t, contacts{"1002": {contact("1002", 5072)}}, func(c *Config) { c.RingTimeout = 50 * time.Millisecond })
	if _, err := h.m.Originate(context.Background(), "t1", "1002", "1003", ""); err != nil {
		t.Fatal(err)
	}
	agent := h.fork("1002")
	agent.respond(180, nil)
	h.take(sip.CANCEL, agent.callID())
	wantCDR(t, h.cdr(agent.callID()), DispositionAgentUnavailable, "system", CauseAgentNoAnswer, 408)
}

// A copy of the caller's INVITE arriving after its transaction ended (at
// the ACK) must not start a second call.
func TestLateInviteCopyIsDropped(t *testing.T) {
	h, c, _ := answered(t, nil, nil)
	tx := newServerTx()
	h.m.onInvite(c.invite, tx)
	select {
	case res := <-tx.res:
		t.Errorf("the copy was answered %d", res.StatusCode)
	default:
	}
	h.none(sip.INVITE, "")
	if n := h.m.Active(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// A drain refuses new calls and, when it runs out of time, hangs up those
// still up on both legs.
func TestDrainHangsUpWhatIsLeft(t *testing.T) {
	h, c, f := answered(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.m.Drain(ctx); close(done) }()
	waitFor(t, "draining", h.m.draining.Load)
	late := h.dial("1001", "1002")
	late.expect(503)
	cancel()
	<-done
	h.take(sip.BYE, c.callID)
	h.take(sip.BYE, f.callID())
	wantCDR(t, h.cdr(c.callID), DispositionAnswered, "system", CauseShutdown, 200)
}
