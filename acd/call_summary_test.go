package acd_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
)

func TestCallSummariesFromTheLog(t *testing.T) {
	ctx := context.Background()
	db, log := openLog(t, filepath.Join(t.TempDir(), "acd.db"))
	defer db.Close()
	cfg := acd.TenantConfig{Agents: agents(2), Queues: []acd.QueueConfig{
		{ID: "q1", Agents: []string{"a1"}, WrapUp: 30 * time.Second, MaxWait: 20 * time.Second,
			Overflow: acd.Target{Kind: acd.TargetQueue, Value: "q2"}},
		{ID: "q2", Agents: []string{"a2"}},
	}}
	h := newHarness(t, cfg, log)
	h.login("a1")

	// c1: waits 4 s, answered by a1, talks 10 s, 30 s of wrap-up.
	h.enqueue("q1", "c1")
	h.advance(4 * time.Second)
	h.wantRings("c1→a1")
	h.talk("c1", "a1", 10*time.Second)
	h.advance(5 * time.Second)

	// c2: a1 is in wrap-up and a2 is logged out: overflows to q2 at 20 s,
	// where a2 logs in 5 s later and answers; a2 has no wrap-up.
	h.enqueue("q1", "c2")
	h.advance(20 * time.Second)
	h.advance(5 * time.Second)
	h.login("a2")
	h.wantRings("c2→a2")
	h.talk("c2", "a2", 3*time.Second)

	// c3: abandoned after 2 s.
	h.must(h.acd.NotReady(ctx, h.tenant, "a1", "break"))
	h.enqueue("q1", "c3")
	h.advance(2 * time.Second)
	h.must(h.acd.CallerAbandoned(ctx, h.tenant, "c3"))

	// c4: answered by a2 and still talking.
	h.enqueue("q2", "c4")
	h.wantRings("c4→a2")
	h.must(h.acd.AgentAnswered(ctx, h.tenant, "c4", "a2"))
	h.sync()
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	got, err := log.CallSummaries(ctx, h.tenant, []string{"c1", "c2", "c3", "c4", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]acd.CallSummary{
		"c1": {Call: "c1", Queue: "q1", Agent: "a1", Outcome: acd.OutcomeAnswered, Wait: 4 * time.Second, ACW: 30 * time.Second, ACWKnown: true},
		"c2": {Call: "c2", Queue: "q2", Agent: "a2", Outcome: acd.OutcomeAnswered, Wait: 25 * time.Second, ACWKnown: true},
		"c3": {Call: "c3", Queue: "q1", Outcome: acd.OutcomeAbandoned, Wait: 2 * time.Second},
		"c4": {Call: "c4", Queue: "q2", Agent: "a2", Outcome: acd.OutcomeAnswered},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d summaries, want %d: %+v", len(got), len(want), got)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: got %+v, want %+v", id, got[id], w)
		}
	}

	ids, err := log.QueueCalls(ctx, h.tenant, "q2", time.Time{}, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "c4" || ids[1] != "c2" {
		t.Errorf("q2 calls = %v, want [c4 c2] (newest first; c2 counted in q2 where it ended)", ids)
	}
	ids, err = log.QueueCalls(ctx, h.tenant, "q1", time.Time{}, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "c3" || ids[1] != "c1" {
		t.Errorf("q1 calls = %v, want [c3 c1]", ids)
	}
	if other, _ := log.CallSummaries(ctx, "other-tenant", []string{"c1"}); len(other) != 0 {
		t.Errorf("another tenant sees %v", other)
	}
}
