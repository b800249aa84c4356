package acd_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
)

// A waiting caller reaches an agent added while the tenant runs; an agent
// removed while on a call finishes it and is then gone; the queue's other
// caller keeps waiting meanwhile.
func TestReconfigureAddsAndRemovesAgentsLive(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1),
		Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.LongestIdle, Agents: ids(1), WrapUp: 10 * time.Second}}}, nil)
	h.login("a1")
	h.enqueue("q", "c1", "c2")
	h.wantRings("c1→a1")
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a1"))

	cfg, err := h.acd.Config(h.ctx, h.tenant)
	h.must(err)
	added := acd.AgentConfig{ID: "a2", Name: "Agent 2", Endpoint: "1002"}
	q := cfg.Queues[0]
	q.Agents = []string{"a2"} // a1 leaves the queue and the tenant
	h.must(h.acd.Reconfigure(h.ctx, h.tenant, []acd.AgentConfig{added}, []acd.QueueConfig{q}))
	if id, ok := h.acd.AgentByEndpoint(h.tenant, "1002"); !ok || id != "a2" {
		t.Fatalf("endpoint 1002 → %q %v, want a2", id, ok)
	}
	h.wantState("a1", acd.OnCall) // not disturbed
	h.wantState("a2", acd.LoggedOut)
	h.login("a2")
	h.wantRings("c2→a2")

	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c1"))
	h.wantState("a1", acd.WrapUp)
	h.advance(10 * time.Second)
	if _, err := h.acd.Agent(h.ctx, h.tenant, "a1"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("a1 after its wrap-up: %v, want gone", err)
	}
	if _, ok := h.acd.AgentByEndpoint(h.tenant, "1001"); ok {
		t.Error("the removed agent's endpoint still maps to it")
	}
	found := false
	for _, e := range h.sink.Take() {
		if se, ok := e.(acd.AgentStateEvent); ok && se.Agent.ID == "a1" && se.Agent.State == acd.LoggedOut && se.Agent.Reason == acd.ReasonRemoved {
			found = true
		}
	}
	if !found {
		t.Error("no logged-out (removed) event for a1")
	}
}

// Invalid changes are refused whole, naming the field; a queue with callers
// waiting cannot be removed; nothing changes on a refusal.
func TestReconfigureRefusals(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(2),
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(2)}, {ID: "r", Agents: ids(1)}}}, nil)
	cfg, err := h.acd.Config(h.ctx, h.tenant)
	h.must(err)
	bad := append([]acd.QueueConfig(nil), cfg.Queues...)
	bad[1].Strategy = "loudest"
	err = h.acd.Reconfigure(h.ctx, h.tenant, cfg.Agents, bad)
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "queues[1].strategy") {
		t.Fatalf("bad strategy: %v, want invalid naming queues[1].strategy", err)
	}
	err = h.acd.Reconfigure(h.ctx, h.tenant, cfg.Agents[:1], cfg.Queues)
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "queues[0].agents") {
		t.Fatalf("queue naming a removed agent: %v", err)
	}
	h.enqueue("r", "c1")
	err = h.acd.Reconfigure(h.ctx, h.tenant, cfg.Agents, cfg.Queues[:1])
	if !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("removing a queue with a caller: %v, want conflict", err)
	}
	if st := h.stats("r"); st.Waiting != 1 {
		t.Fatalf("queue r after the refusals: %+v", st)
	}
}
