package acd_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
	"github.com/yimen/yimen/internal/store"
)

func openLog(t testing.TB, path string) (*store.DB, *acd.SQLLog) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := acd.OpenSQLLog(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return db, l
}

func TestRestartRestoresLoggedInAgents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acd.db")
	cfg := acd.TenantConfig{Agents: agents(6), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(6), WrapUp: time.Minute}}}

	db, log := openLog(t, path)
	h := newHarness(t, cfg, log)
	h.login("a5")
	h.enqueue("q", "c1")
	h.wantRings("c1→a5")
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a5")) // on a call when the process dies
	h.advance(time.Second)
	h.login("a3")
	h.advance(time.Second)
	h.login("a1", "a2", "a4")
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a2", "lunch"))
	h.must(h.acd.Logout(h.ctx, h.tenant, "a4"))
	h.enqueue("q", "c2")
	h.wantRings("c2→a3") // a3 is reserved when the process dies
	h.acd.Close()
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, log2 := openLog(t, path)
	defer db2.Close()
	defer log2.Close(ctx)
	h2 := newHarnessAt(t, cfg, log2, acdtest.NewClock(t0.Add(time.Hour)))
	want := map[string]struct {
		st     acd.State
		reason string
	}{
		"a1": {acd.Ready, ""}, "a2": {acd.NotReady, "lunch"}, "a3": {acd.Ready, ""},
		"a4": {acd.LoggedOut, ""}, "a5": {acd.Ready, ""}, "a6": {acd.LoggedOut, ""},
	}
	for id, w := range want {
		if st := h2.agent(id); st.State != w.st || st.Reason != w.reason || st.Call != "" {
			t.Errorf("after restart %s = %+v, want %s %q", id, st, w.st, w.reason)
		}
	}
	st := h2.stats("q")
	if st.Today.Answered != 1 || st.Agents[acd.Ready] != 3 || st.Agents[acd.Reserved] != 0 {
		t.Fatalf("stats after restart = %+v", st)
	}
	if a5 := h2.agent("a5"); a5.AnsweredToday != 1 {
		t.Fatalf("a5 answered today = %d, want 1", a5.AnsweredToday)
	}
	// Longest idle survives the restart: a1 (ready before the stop, idle
	// longer than a3 and a5 who were busy then) takes the next call.
	h2.enqueue("q", "c3")
	h2.wantRings("c3→a1")
	h2.sync()
	if err := log2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs, err := log2.Records(ctx, "demo", t0, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	restored := map[string]bool{}
	var outcomes []string
	for _, r := range recs {
		if r.Reason == acd.ReasonRestored {
			restored[r.Agent] = true
		}
		if r.Kind == acd.RecordCall {
			outcomes = append(outcomes, r.Call+":"+r.Outcome)
		}
	}
	if len(restored) != 2 || !restored["a3"] || !restored["a5"] {
		t.Fatalf("restored rows for %v, want a3 and a5", restored)
	}
	if len(outcomes) != 1 || outcomes[0] != "c1:answered" {
		t.Fatalf("call outcomes = %v", outcomes)
	}
}
