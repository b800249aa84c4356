package report

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
)

// cdrOf is the PBX CDR API's record of a call.ended, with the ACD's
// outcome and after-call work.
func cdrOf(d protocol.CallEnded, acwS int64) map[string]any {
	m := map[string]any{"id": d.Call, "caller": d.Caller, "callee": d.Callee, "start": d.Start, "end": d.End, "talk_ms": d.TalkS * 1000,
		"hold_ms": d.HoldS * 1000, "ring_ms": 0, "disposition": d.Disposition, "hangup_side": d.HangupSide, "hangup_cause": d.HangupCause}
	if d.Answer != "" {
		m["answer"] = d.Answer
	}
	outcome := "abandoned"
	if d.Agent != "" {
		outcome = "answered"
	}
	q := map[string]any{"name": d.Queue, "agent": d.Agent, "outcome": outcome, "wait_ms": d.WaitS * 1000}
	if d.Agent != "" {
		q["acw_ms"] = acwS * 1000
	}
	m["queue"] = q
	return m
}

// fakePBX serves /api/v1/cdrs from a list, filtered by start as the PBX does.
func fakePBX(t *testing.T, token string, cdrs []map[string]any) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/api/v1/cdrs" || r.Header.Get("Authorization") != "Bearer "+token || r.URL.Query().Get("tenant") != tenant {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		from, _ := time.Parse(time.RFC3339Nano, r.URL.Query().Get("from"))
		to, _ := time.Parse(time.RFC3339Nano, r.URL.Query().Get("to"))
		out := []map[string]any{}
		for _, c := range cdrs {
			st, _ := time.Parse(time.RFC3339Nano, c["start"].(string))
			if !st.Before(from) && st.Before(to) {
				out = append(out, c)
			}
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// TestReconcileFillsARestart: the OA was down while half the busy
// interval's calls ended; the reconcile pass reads the PBX's CDRs and the
// interval tables then say what a complete feed would have said.
func TestReconcileFillsARestart(t *testing.T) {
	ctx := context.Background()
	full := newFixture(t)
	loadDay(t, full)
	want, _ := full.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "queue"})

	calls := []struct {
		d   protocol.CallEnded
		acw int64
	}{
		{queueCall("c1", "a1", "09:00:02", 8, 100, 20), 30},
		{queueCall("c2", "a1", "09:07:35", 25, 60, 0), 10},
		{queueCall("c3", "a2", "09:05:45", 15, 200, 40), 0},
		{queueCall("c4", "", "09:03:00", 3, 0, 0), 0},
		{queueCall("c5", "", "09:09:00", 40, 0, 0), 0},
		{queueCall("c6", "a2", "09:09:40", 20, 90, 0), 20},
	}
	var cdrs []map[string]any
	for _, c := range calls {
		cdrs = append(cdrs, cdrOf(c.d, c.acw))
	}
	srv, hits := fakePBX(t, "tok", cdrs)

	f := newFixture(t)
	// Only c1 and c3 reached the OA (with c1's wrap-up); then it stopped.
	f.apply(t, "ep1", calls[0].d, calls[2].d, agentState("a1", "09:01:50", "wrap_up", "", "c1"), agentState("a1", "09:02:20", "not_ready", "lunch", ""))
	before, _ := f.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "queue"})
	if num(t, before.Rows[0], "offered") != 2 {
		t.Fatalf("before: %v", before.Rows)
	}
	src := PBXCDRs{BaseURL: srv.URL, Token: func(string) string { return "tok" }}
	res, err := f.rpt.Reconcile(ctx, tenant, src, day.From, day.To)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 6 || res.Added != 4 || res.Corrected != 0 {
		t.Errorf("reconcile: %+v", res)
	}
	if hits.Load() != 2 { // two 15-minute windows
		t.Errorf("%d CDR API requests", hits.Load())
	}
	got, _ := f.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "queue"})
	if len(got.Rows) != 1 {
		t.Fatalf("after: %v", got.Rows)
	}
	for _, c := range got.Columns {
		if Cell(got.Rows[0][c.Key]) != Cell(want.Rows[0][c.Key]) {
			t.Errorf("%s: %s after reconcile, %s from the full feed", c.Key, Cell(got.Rows[0][c.Key]), Cell(want.Rows[0][c.Key]))
		}
	}
	// A second pass finds nothing to do.
	if res, err := f.rpt.Reconcile(ctx, tenant, src, day.From, day.To); err != nil || res.Added+res.Corrected != 0 {
		t.Errorf("second pass: %+v %v", res, err)
	}
	// A CDR that says otherwise than the feed wins: c1 had 30 s more talk.
	cdrs[0]["talk_ms"] = int64(130_000)
	res, _ = f.rpt.Reconcile(ctx, tenant, src, day.From, day.To)
	got, _ = f.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "queue"})
	if res.Corrected != 1 || num(t, got.Rows[0], "talk_s") != 420 {
		t.Errorf("correction: %+v, talk %v", res, got.Rows[0]["talk_s"])
	}
}

func TestReconcileDueKeepsItsPlace(t *testing.T) {
	ctx := context.Background()
	srv, hits := fakePBX(t, "tok", nil)
	f := newFixture(t)
	f.now = at("10:00:00")
	src := PBXCDRs{BaseURL: srv.URL, Token: func(string) string { return "tok" }}
	if _, err := f.rpt.ReconcileDue(ctx, tenant, src, 2*time.Hour, time.Minute); err != nil {
		t.Fatal(err)
	}
	first := hits.Load() // 08:00 to 09:59: eight windows
	if first != 8 {
		t.Errorf("first pass: %d requests", first)
	}
	f.now = at("10:30:00")
	f.rpt.ReconcileDue(ctx, tenant, src, 2*time.Hour, time.Minute)
	// From 09:59 less one interval (09:44 → 09:30 window) to 10:29: four windows.
	if n := hits.Load() - first; n != 4 {
		t.Errorf("second pass: %d requests", n)
	}
	bad := PBXCDRs{BaseURL: srv.URL, Token: func(string) string { return "wrong" }}
	if _, err := f.rpt.ReconcileDue(ctx, tenant, bad, 2*time.Hour, time.Minute); err == nil {
		t.Error("a refused token went unnoticed")
	}
}
