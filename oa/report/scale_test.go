package report

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestTrafficAtScale fills the interval tables as YIMEN_REPORT_CALLS
// calls over a 30-day month would (10 000 000 for docs/BENCHMARKS.md:
// 400 agents on 20 queues, every agent logged in 16 hours a day), then
// times the month's reports; skipped unless set. It also times recording
// calls one by one (the CTI's path) on a sample.
func TestTrafficAtScale(t *testing.T) {
	calls, _ := strconv.Atoi(os.Getenv("YIMEN_REPORT_CALLS"))
	if calls == 0 {
		t.Skip("set YIMEN_REPORT_CALLS (e.g. 10000000) to measure the reports at scale")
	}
	ctx := context.Background()
	f := newFixture(t)
	const agents, queues, days = 400, 20, 30
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	loggedIn := 64 // intervals a day: 16 hours
	perAgentInterval := max(1, calls/(agents*days*loggedIn))
	perQueueInterval := max(1, calls/(queues*days*96))
	began := time.Now()
	db := f.db.SQL()
	// Interval rows straight from SQL: a series of intervals × agents.
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE iv(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM iv WHERE n < ?),
		ag(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM ag WHERE n < ?)
		INSERT INTO rpt_agent_interval(tenant, interval_start, agent, handled, outbound, talk_s, hold_s, acw_s, logged_in_s, ready_s, not_ready_s, on_call_s, wrap_up_s)
		SELECT ?, ? + iv.n*?, 'a' || ag.n, ?, 0, ?*180, ?*20, ?*30, 900, 200, 100, 500, 100 FROM iv, ag WHERE (iv.n % 96) >= 28 AND (iv.n % 96) < 28+?`,
		days*96-1, agents-1, tenant, month.UnixMilli(), intervalMS, perAgentInterval, perAgentInterval, perAgentInterval, perAgentInterval, loggedIn); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO rpt_agent_notready SELECT tenant, interval_start, agent, CASE WHEN interval_start % 3 = 0 THEN '培训' ELSE '小休' END, 100
		FROM rpt_agent_interval`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE iv(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM iv WHERE n < ?),
		qu(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM qu WHERE n < ?)
		INSERT INTO rpt_queue_interval SELECT ?, ? + iv.n*?, 'q' || qu.n, ?, ?*9/10, ?/20, 0, ?/2, ?*6/10, ?*7/10, ?*8/10, ?*85/100, ?*9/10,
		1, 1, 2, 2, 3, 4, ?*9/10*12, 95, ?*9/10*180, ?*9/10*20, ?*9/10*30 FROM iv, qu`,
		days*96-1, queues-1, tenant, month.UnixMilli(), intervalMS, perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval,
		perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval, perQueueInterval); err != nil {
		t.Fatal(err)
	}
	if err := f.rpt.RebuildAgentDays(ctx); err != nil {
		t.Fatal(err)
	}
	var agentRows, handled int64
	db.QueryRowContext(ctx, `SELECT COUNT(*), SUM(handled) FROM rpt_agent_interval`).Scan(&agentRows, &handled)
	fill := time.Since(began)
	rg := Range{From: month, To: month.AddDate(0, 0, days)}
	timeIt := func(what string, q TrafficQuery) string {
		q.Range = rg
		st := time.Now()
		tb, err := f.rpt.Traffic(ctx, tenant, q)
		d := time.Since(st)
		if err != nil || len(tb.Rows) == 0 {
			t.Fatalf("%s: %v (%d rows)", what, err, len(tb.Rows))
		}
		if what == "per agent" && d > time.Second {
			t.Errorf("the month per agent took %v", d)
		}
		return fmt.Sprintf("%s %v (%d rows)", what, d.Round(time.Millisecond), len(tb.Rows))
	}
	res := []string{timeIt("per agent", TrafficQuery{By: "agent"}), timeIt("one agent", TrafficQuery{By: "agent", Agent: "a7"}),
		timeIt("per queue", TrafficQuery{By: "queue"}), timeIt("per day", TrafficQuery{By: "day"})}
	// Recording calls as call.ended does, one transaction each.
	const sample = 5000
	st := time.Now()
	for i := 0; i < sample; i++ {
		start := month.Add(time.Duration(i) * 7 * time.Second)
		if err := f.rpt.UpsertCall(ctx, tenant, Call{ID: "s" + strconv.Itoa(i), Direction: "inbound", Queue: "q1", Agent: "a1", Start: start, Answer: start.Add(10 * time.Second),
			End: start.Add(200 * time.Second), WaitS: 10, TalkS: 190, ACWS: -1, Answered: true, Disposition: "answered", Source: "cti"}); err != nil {
			t.Fatal(err)
		}
	}
	rate := float64(sample) / time.Since(st).Seconds()
	t.Logf("%d agent-interval rows for %d calls (filled in %v): %v; call.ended recorded at %.0f calls/s", agentRows, handled, fill.Round(time.Second), res, rate)
}
