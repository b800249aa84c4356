package system_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/config"

	"github.com/yimen/yimen/cti/protocol"
)

// An agent whose phone rings and is never answered (SIPp that waits for the
// CANCEL) is skipped: the queued caller goes to the next agent and talks to
// them. After max_no_answer such offers in a row the ACD sets the agent not
// ready with reason no_answer, and the CTI says so.
func TestQueueSkipsAnAgentWhoDoesNotAnswer(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *config.Config) {
		c.Tenants[0].Agents = append(c.Tenants[0].Agents, config.Agent{ID: "a1003", Name: "Agent 1003", Extension: "1003"})
		c.Tenants[0].Queues = map[string]config.Queue{"support": {Strategy: "sequential", Agents: []string{"a1002", "a1003"},
			RingTimeout: 3 * time.Second}}
		c.Tenants[0].MaxNoAnswer = 2
	})
	sup := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sup.Subscribe(t.Context(), "agent:a1002"); err != nil {
		t.Fatal(err)
	}
	p.Callee(t, "1002", "127.0.122.2", "uas_noanswer.xml", false, nil)
	p.Callee(t, "1003", "127.0.122.3", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500", "play_pcap": "1"})
	// Menu, queue: 3 s of ringing a1002, then a1003 answers and hangs up
	// after 1.5 s; the caller scores the survey.
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 7600}, {Kind: "dtmf", Key: "4"}}, "wait_bye")

	for call := 1; call <= 2; call++ {
		if err := p.Call(t, "1001", "127.0.122.1", scen, "8000", nil).Check(1); err != nil {
			t.Fatalf("call %d: %v", call, err)
		}
		if c := lastCDR(t, p, call); c.Disposition != "answered" || c.B.PacketsIn < 50 {
			t.Fatalf("call %d: CDR = %+v, want answered with the agent's audio", call, c)
		}
		next, err := p.Contact.ACD.Agent(t.Context(), "demo", "a1003")
		if err != nil || next.AnsweredToday != call {
			t.Fatalf("call %d: a1003 = %+v %v, want %d answered", call, next, err, call)
		}
		skipped, err := p.Contact.ACD.Agent(t.Context(), "demo", "a1002")
		if err != nil || skipped.NoAnswer != call || skipped.AnsweredToday != 0 {
			t.Fatalf("call %d: a1002 = %+v %v, want %d unanswered offers", call, skipped, err, call)
		}
		want := acd.Ready
		if call == 2 {
			want = acd.NotReady
		}
		if skipped.State != want {
			t.Fatalf("after %d unanswered offers a1002 is %s (%s), want %s", call, skipped.State, skipped.Reason, want)
		}
	}
	if skipped, _ := p.Contact.ACD.Agent(t.Context(), "demo", "a1002"); skipped.Reason != acd.ReasonNoAnswer {
		t.Errorf("a1002 not ready for %q, want %q", skipped.Reason, acd.ReasonNoAnswer)
	}

	// The CTI told the agent's subscribers, reason included.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-sup.Events():
			var st protocol.AgentState
			if ev.Type != protocol.EventAgentState || json.Unmarshal(ev.Data, &st) != nil {
				continue
			}
			if st.Agent == "a1002" && st.State == string(acd.NotReady) && st.Reason == acd.ReasonNoAnswer {
				return
			}
		case <-deadline:
			t.Fatal("no agent.state not_ready/no_answer event for a1002")
		}
	}
}
