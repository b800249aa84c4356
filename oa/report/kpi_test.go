package report

import (
	"context"
	"testing"
	"time"
)

// The hand-built day: queue hotline, 09:00-09:15 UTC, six calls.
//
//	call  agent  wait  talk(hold incl.)  hold  ACW  outcome
//	c1    a1      8    100               20    30   answered within 20 s
//	c2    a1     25     60                0    10   answered late
//	c3    a2     15    200               40     0   answered within 20 s
//	c4    -       3      -                -     -   abandoned, short (< 5 s)
//	c5    -      40      -                -     -   abandoned
//	c6    a2     20     90                0    20   answered at exactly 20 s: within
//
// a1: ready 09:00:00, on call c1 09:00:10, wrap-up 09:01:50, not ready
// (lunch) 09:02:20, ready 09:07:20, on call c2 09:08:00, wrap-up 09:09:00,
// ready 09:09:10, logged out 09:14:00.
// a2: ready 09:05:00, on call c3 09:06:00, ready 09:09:20, on call c6
// 09:10:00, wrap-up 09:11:30, ready 09:11:50, not ready (training)
// 09:20:00, logged out 09:25:00 — across the 09:15 boundary.
func loadDay(t *testing.T, f *fixture) { loadDayEpoch(t, f, "ep1") }

func loadDayEpoch(t *testing.T, f *fixture, epoch string) {
	f.apply(t, epoch,
		agentState("a1", "09:00:00", "ready", "", ""),
		agentState("a2", "09:05:00", "ready", "", ""),
		agentState("a1", "09:00:10", "on_call", "", "c1"),
		queueCall("c1", "a1", "09:00:02", 8, 100, 20),
		agentState("a1", "09:01:50", "wrap_up", "", "c1"),
		agentState("a1", "09:02:20", "not_ready", "lunch", ""),
		queueCall("c4", "", "09:03:00", 3, 0, 0),
		agentState("a2", "09:06:00", "on_call", "", "c3"),
		agentState("a1", "09:07:20", "ready", "", ""),
		queueCall("c2", "a1", "09:07:35", 25, 60, 0),
		agentState("a1", "09:08:00", "on_call", "", "c2"),
		agentState("a1", "09:09:00", "wrap_up", "", "c2"),
		agentState("a1", "09:09:10", "ready", "", ""),
		queueCall("c3", "a2", "09:05:45", 15, 200, 40),
		agentState("a2", "09:09:20", "ready", "", ""),
		queueCall("c5", "", "09:09:00", 40, 0, 0),
		agentState("a2", "09:10:00", "on_call", "", "c6"),
		queueCall("c6", "a2", "09:09:40", 20, 90, 0),
		agentState("a2", "09:11:30", "wrap_up", "", "c6"),
		agentState("a2", "09:11:50", "ready", "", ""),
		agentState("a1", "09:14:00", "logged_out", "", ""),
		agentState("a2", "09:20:00", "not_ready", "training", ""),
		agentState("a2", "09:25:00", "logged_out", "", ""),
	)
}

var day = Range{From: at("09:00:00"), To: at("09:30:00")}

// TestServiceLevelByAbandonMethod: the same six calls give three service
// levels, one per way of counting abandons, each computed by hand.
func TestServiceLevelByAbandonMethod(t *testing.T) {
	f := newFixture(t)
	loadDay(t, f)
	for _, c := range []struct {
		method string
		want   float64
	}{
		{AbandonFailures, 0.5},      // 3 within 20 s ÷ 6 offered
		{AbandonIgnored, 0.75},      // 3 ÷ (6 − 2 abandoned)
		{AbandonShortExcluded, 0.6}, // 3 ÷ (6 − 1 abandoned under 5 s)
	} {
		tb, err := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: day, By: "queue", KPI: KPIConfig{SLSeconds: 20, AbandonMethod: c.method, ShortAbandonS: 5}})
		if err != nil {
			t.Fatal(err)
		}
		if len(tb.Rows) != 1 {
			t.Fatalf("%s: rows %v", c.method, tb.Rows)
		}
		r := tb.Rows[0]
		if got := num(t, r, "service_level"); got != c.want {
			t.Errorf("%s: service level %v, want %v", c.method, got, c.want)
		}
		if tb.Formulas["service_level"] == "" {
			t.Errorf("%s: no formula", c.method)
		}
		for k, want := range map[string]float64{"offered": 6, "answered": 4, "abandoned": 2, "short_abandoned": 1, "answered_in_sl": 3,
			"asa_s": 17, "longest_wait_s": 40, "abandon_rate": 0.3333, "answer_rate": 0.6667} {
			if got := num(t, r, k); got != want {
				t.Errorf("%s: %s = %v, want %v", c.method, k, got, want)
			}
		}
	}
	// A 10 s threshold: only c1 (8 s) is in time.
	tb, _ := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: day, KPI: KPIConfig{SLSeconds: 10, AbandonMethod: AbandonFailures}})
	if got := num(t, tb.Rows[0], "service_level"); got != 0.1667 {
		t.Errorf("SL 10 s: %v, want 1/6", got)
	}
	if _, err := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: day, KPI: KPIConfig{SLSeconds: 25}}); err == nil {
		t.Error("a threshold the intervals do not count by was accepted")
	}
}

// TestAHTWithHoldAndACW: AHT = (talk − hold, + hold, + after-call work) ÷
// handled, the after-call work measured from the agents' wrap-up states.
func TestAHTWithHoldAndACW(t *testing.T) {
	f := newFixture(t)
	loadDay(t, f)
	tb, err := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: day, By: "queue"})
	if err != nil {
		t.Fatal(err)
	}
	r := tb.Rows[0]
	// talk net of hold: 80 + 60 + 160 + 90 = 390; hold 20 + 40 = 60;
	// ACW 30 + 10 + 0 + 20 = 60; (390 + 60 + 60) ÷ 4 = 127.5.
	for k, want := range map[string]float64{"talk_s": 390, "hold_s": 60, "acw_s": 60, "handled": 4, "aht_s": 127.5} {
		if got := num(t, r, k); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
}

// TestOccupancyAndNotReady: occupancy = (talk + hold + ACW) ÷ (logged in
// − not ready), with state time split at the 15-minute boundary.
func TestOccupancyAndNotReady(t *testing.T) {
	f := newFixture(t)
	loadDay(t, f)
	// The half hour from the intervals; three days (one whole, from the
	// day rows, and two partial, from the intervals) give the same.
	for _, rg := range []Range{day, {From: at("00:00:00").Add(-20 * time.Hour), To: at("00:00:00").Add(52 * time.Hour)}} {
		checkAgents(t, f, rg)
	}
	// The first interval alone: a2 was logged in 09:05-09:15 = 600 s, no
	// training yet.
	tb, _ := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: Range{From: at("09:00:00"), To: at("09:15:00")}, By: "agent", Agent: "a2"})
	if len(tb.Rows) != 1 || num(t, tb.Rows[0], "logged_in_s") != 600 || num(t, tb.Rows[0], "not_ready_s") != 0 {
		t.Errorf("a2 09:00-09:15: %v", tb.Rows)
	}
}

func checkAgents(t *testing.T, f *fixture, rg Range) {
	t.Helper()
	tb, err := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: rg, By: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]any{}
	for _, r := range tb.Rows {
		rows[r["agent"].(string)] = r
	}
	want := map[string]map[string]float64{
		// a1: logged in 09:00:00-09:14:00 = 840 s, 300 s of it at lunch;
		// busy 80 + 60 talk, 20 hold, 30 + 10 ACW = 200 s.
		"a1": {"logged_in_s": 840, "not_ready_s": 300, "not_ready:lunch": 300, "handled": 2, "talk_s": 140, "hold_s": 20, "acw_s": 40,
			"aht_s": 100, "occupancy": 0.3704},
		// a2: 09:05:00-09:25:00 = 1200 s, 300 s training; busy 160 + 90
		// talk, 40 hold, 0 + 20 ACW = 310 s; 310 ÷ 900.
		"a2": {"logged_in_s": 1200, "not_ready_s": 300, "not_ready:training": 300, "handled": 2, "talk_s": 250, "hold_s": 40, "acw_s": 20,
			"aht_s": 155, "occupancy": 0.3444},
	}
	for agent, w := range want {
		r := rows[agent]
		if r == nil {
			t.Fatalf("no row for %s: %v", agent, tb.Rows)
		}
		for k, v := range w {
			if got := num(t, r, k); got != v {
				t.Errorf("%v: %s: %s = %v, want %v", rg.From, agent, k, got, v)
			}
		}
	}
}

// TestReplayChangesNothing: the same events delivered again in a new
// epoch (the OA's cursor does not skip them) leave every figure as it was.
func TestReplayChangesNothing(t *testing.T) {
	f := newFixture(t)
	loadDay(t, f)
	before, _ := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: day, By: "agent"})
	loadDayEpoch(t, f, "ep2")
	after, _ := f.rpt.Traffic(context.Background(), tenant, TrafficQuery{Range: day, By: "agent"})
	if len(before.Rows) != 2 || len(after.Rows) != 2 {
		t.Fatalf("rows %d, %d", len(before.Rows), len(after.Rows))
	}
	for i := range before.Rows {
		for k := range before.Rows[i] {
			if Cell(before.Rows[i][k]) != Cell(after.Rows[i][k]) {
				t.Errorf("%v %s: %v before, %v after", before.Rows[i]["agent"], k, Cell(before.Rows[i][k]), Cell(after.Rows[i][k]))
			}
		}
	}
}
