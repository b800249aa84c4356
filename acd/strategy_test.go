package acd_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
)

func TestRingAllFirstAnswerWins(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(3), Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.RingAll, Agents: ids(3)}}}, nil)
	h.login("a1", "a2", "a3")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1", "c1→a2", "c1→a3")
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a2"))
	stopped := map[string]bool{}
	for _, a := range h.actions() {
		if a.Kind == "stop" {
			stopped[a.AgentID] = true
		}
	}
	if len(stopped) != 2 || !stopped["a1"] || !stopped["a3"] {
		t.Fatalf("stopped = %v, want a1 and a3", stopped)
	}
	for _, id := range []string{"a1", "a3"} {
		if st := h.agent(id); st.State != acd.Ready || st.NoAnswer != 0 {
			t.Fatalf("%s = %+v, want ready without a no-answer", id, st)
		}
	}
	h.wantState("a2", acd.OnCall)
	h.enqueue("q", "c2")
	h.wantRings("c2→a1", "c2→a3")
}

func TestRoundRobin(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(3), Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.RoundRobin, Agents: ids(3)}}}, nil)
	h.login("a3", "a2", "a1")
	var got []string
	for _, c := range []string{"c1", "c2", "c3", "c4", "c5"} {
		h.enqueue("q", c)
		r := h.rings()
		if len(r) != 1 {
			t.Fatalf("rings = %v", r)
		}
		got = append(got, r[0])
		h.talk(c, r[0][len(c)+len("→"):], time.Second)
	}
	want := []string{"c1→a1", "c2→a2", "c3→a3", "c4→a1", "c5→a2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("round robin = %v, want %v", got, want)
		}
	}
}

func TestFewestCalls(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(3), Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.FewestCalls, Agents: ids(3)}}}, nil)
	h.login("a1")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1")
	h.talk("c1", "a1", time.Second)
	h.login("a2")
	h.enqueue("q", "c2")
	h.wantRings("c2→a2")
	h.talk("c2", "a2", time.Second)
	h.enqueue("q", "c3")
	h.wantRings("c3→a1") // both have one call: longest idle decides
	h.talk("c3", "a1", time.Second)
	h.advance(time.Minute)
	h.login("a3") // idle for the shortest time, but with no calls
	h.enqueue("q", "c4", "c5")
	h.wantRings("c4→a3", "c5→a2")
}

func TestSkillsLevelAndCallSkill(t *testing.T) {
	ag := agents(4)
	ag[0].Skills = map[string]int{"lottery": 3, "english": 4}
	ag[1].Skills = map[string]int{"lottery": 9}
	ag[2].Skills = map[string]int{"lottery": 5}
	ag[3].Skills = map[string]int{"welfare": 10} // not a member: lacks the queue skill
	h := newHarness(t, acd.TenantConfig{Agents: ag, Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.Skills, Skill: "lottery"}}}, nil)
	h.login("a4", "a1", "a2", "a3")
	h.enqueue("q", "c1", "c2")
	h.wantRings("c1→a2", "c2→a3")
	h.must(h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: "en", Queue: "q", Skill: "english", MinLevel: 2}))
	h.must(h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: "en5", Queue: "q", Skill: "english", MinLevel: 5, Priority: 9}))
	// en5 is first in line but nobody has english 5; en is served by a1.
	h.wantRings("en→a1")
	st := h.stats("q")
	if st.Agents[acd.Reserved] != 3 || st.Waiting != 4 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestSequentialOrder(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(3), Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.Sequential, Agents: []string{"a3", "a1", "a2"}}}}, nil)
	h.login("a1", "a2", "a3")
	h.enqueue("q", "c1")
	h.wantRings("c1→a3")
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c1", "a3"))
	h.wantRings("c1→a1")
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c1", "a1"))
	h.wantRings("c1→a2")
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c1", "a2"))
	h.wantRings("c1→a3") // everyone had a turn: start over
}
