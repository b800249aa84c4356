package report

import (
	"context"
	"testing"
)

// TestTrafficOfAQueuesAgents: a queue's agents count that queue's calls
// alone. The hand-built day (hotline) plus c7, a1's call on queue vip:
//
//	hotline a1: c1 wait 8, talk 100 (hold 20), ACW 30; c2 wait 25, talk 60, ACW 10
//	        → handled 2, ASA 16.5, longest 25, talk 80+60 = 140, hold 20, ACW 40, AHT 200 ÷ 2 = 100
//	hotline a2: c3 wait 15, talk 200 (hold 40); c6 wait 20, talk 90, ACW 20
//	        → handled 2, ASA 17.5, longest 20, talk 160+90 = 250, hold 40, ACW 20, AHT 310 ÷ 2 = 155
//	vip     a1: c7 wait 4, talk 50 → handled 1, AHT 50
func TestTrafficOfAQueuesAgents(t *testing.T) {
	f := newFixture(t)
	loadDay(t, f)
	c7 := queueCall("c7", "a1", "09:12:00", 4, 50, 0)
	c7.Queue = "vip"
	f.apply(t, "ep1", c7)
	ctx := context.Background()
	tb, err := f.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "agent", Queue: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 2 || tb.Rows[0]["agent"] != "a1" || tb.Rows[1]["agent"] != "a2" || tb.Formulas["queue_agent"] == "" {
		t.Fatalf("hotline's agents: %v", tb.Rows)
	}
	want := []map[string]float64{
		{"handled": 2, "asa_s": 16.5, "longest_wait_s": 25, "talk_s": 140, "hold_s": 20, "acw_s": 40, "aht_s": 100},
		{"handled": 2, "asa_s": 17.5, "longest_wait_s": 20, "talk_s": 250, "hold_s": 40, "acw_s": 20, "aht_s": 155},
	}
	for i, w := range want {
		for k, v := range w {
			if got := num(t, tb.Rows[i], k); got != v {
				t.Errorf("hotline %s %s = %v, want %v", tb.Rows[i]["agent"], k, got, v)
			}
		}
	}
	for _, c := range tb.Columns {
		if c.Key == "occupancy" || c.Key == "logged_in_s" {
			t.Errorf("a queue's agents show %s, which is not kept per queue", c.Key)
		}
	}
	tb, err = f.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "agent", Queue: "vip"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 1 || tb.Rows[0]["agent"] != "a1" || num(t, tb.Rows[0], "handled") != 1 || num(t, tb.Rows[0], "aht_s") != 50 {
		t.Errorf("vip's agents: %v", tb.Rows)
	}
	// Without a queue, an agent's row counts every call it took.
	tb, err = f.rpt.Traffic(ctx, tenant, TrafficQuery{Range: day, By: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 2 || num(t, tb.Rows[0], "handled") != 3 {
		t.Errorf("all of a1's calls: %v", tb.Rows)
	}
}
