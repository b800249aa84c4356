package acd_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	ctx    context.Context
	clk    *acdtest.Clock
	dialer *acdtest.Dialer
	sink   *acdtest.Sink
	acd    *acd.ACD
	tenant string
}

func newHarness(t *testing.T, cfg acd.TenantConfig, log acd.Log) *harness {
	t.Helper()
	return newHarnessAt(t, cfg, log, acdtest.NewClock(t0))
}

func newHarnessAt(t *testing.T, cfg acd.TenantConfig, log acd.Log, clk *acdtest.Clock) *harness {
	t.Helper()
	if cfg.Tenant == "" {
		cfg.Tenant = "demo"
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	h := &harness{t: t, ctx: context.Background(), clk: clk, dialer: &acdtest.Dialer{}, sink: &acdtest.Sink{}, tenant: cfg.Tenant}
	a, err := acd.New(acd.Deps{Dialer: h.dialer, Events: h.sink, Log: log, Clock: h.clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AddTenant(h.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	h.acd = a
	h.clk.Settle = h.sync
	t.Cleanup(a.Close)
	return h
}

// agents builds n agents a1..an on extensions 100x.
func agents(n int) []acd.AgentConfig {
	out := make([]acd.AgentConfig, n)
	for i := range out {
		out[i] = acd.AgentConfig{ID: fmt.Sprintf("a%d", i+1), Name: fmt.Sprintf("Agent %d", i+1), Endpoint: fmt.Sprintf("100%d", i+1)}
	}
	return out
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("a%d", i+1)
	}
	return out
}

// sync waits until the actor has handled everything sent before it.
func (h *harness) sync() {
	if _, err := h.acd.Agents(h.ctx, h.tenant); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.sync()
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) login(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		h.must(h.acd.Login(h.ctx, h.tenant, id))
	}
}

func (h *harness) enqueue(queue string, callIDs ...string) {
	h.t.Helper()
	for _, id := range callIDs {
		h.must(h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: id, Queue: queue, Caller: "13800138000"}))
	}
}

// actions returns what the ACD asked of the PBX since the last look.
func (h *harness) actions() []acdtest.Action {
	h.sync()
	return h.dialer.Take()
}

// rings returns "call→agent" for each ring since the last look.
func (h *harness) rings() []string {
	h.t.Helper()
	var out []string
	for _, a := range h.actions() {
		if a.Kind == "ring" {
			out = append(out, a.CallID+"→"+a.AgentID)
		}
	}
	return out
}

func (h *harness) wantRings(want ...string) {
	h.t.Helper()
	if got := h.rings(); !slices.Equal(got, want) {
		h.t.Fatalf("rings = %v, want %v", got, want)
	}
}

func (h *harness) agent(id string) acd.AgentStatus {
	h.t.Helper()
	st, err := h.acd.Agent(h.ctx, h.tenant, id)
	h.must(err)
	return st
}

func (h *harness) wantState(id string, want acd.State) {
	h.t.Helper()
	if st := h.agent(id); st.State != want {
		h.t.Fatalf("agent %s is %s (reason %q), want %s", id, st.State, st.Reason, want)
	}
}

func (h *harness) stats(queue string) acd.QueueStats {
	h.t.Helper()
	all, err := h.acd.QueueStats(h.ctx, h.tenant)
	h.must(err)
	for _, s := range all {
		if s.Queue == queue {
			return s
		}
	}
	h.t.Fatalf("no queue %s", queue)
	return acd.QueueStats{}
}

// answer and end a call in one go.
func (h *harness) talk(callID, agentID string, d time.Duration) {
	h.t.Helper()
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, callID, agentID))
	h.advance(d)
	h.must(h.acd.CallEnded(h.ctx, h.tenant, callID))
}

func newClockAt(at time.Time) *acdtest.Clock { return acdtest.NewClock(at) }
