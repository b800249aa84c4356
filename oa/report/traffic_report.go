package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/yimen/yimen/oa"
)

// TrafficQuery asks for 客服话务统计.
type TrafficQuery struct {
	Range
	By    string // queue, agent, interval, hour, day
	Queue string // only this queue (queue and time rows; agent rows: that queue's calls alone)
	Agent string // only this agent (agent rows)
	KPI   KPIConfig
	Loc   *time.Location // for hour and day rows; nil: UTC
}

func trafficColumns(agent bool) []Column {
	key := Column{"queue", "队列"}
	if agent {
		key = Column{"agent", "坐席"}
	}
	cols := []Column{key}
	if !agent {
		cols = append(cols, Column{"offered", "进线数"}, Column{"answered", "接听数"}, Column{"abandoned", "放弃数"}, Column{"short_abandoned", "短放弃数"},
			Column{"overflowed", "溢出数"}, Column{"answered_in_sl", "及时接听数"}, Column{"service_level", "服务水平"}, Column{"answer_rate", "接通率"},
			Column{"abandon_rate", "放弃率"}, Column{"asa_s", "平均应答速度(秒)"}, Column{"longest_wait_s", "最长等待(秒)"})
	}
	cols = append(cols, Column{"handled", "处理数"})
	if agent {
		cols = append(cols, Column{"outbound", "外呼数"})
	}
	cols = append(cols, Column{"talk_s", "通话(秒)"}, Column{"hold_s", "保持(秒)"}, Column{"acw_s", "话后处理(秒)"}, Column{"aht_s", "平均处理时长(秒)"})
	if agent {
		cols = append(cols, Column{"logged_in_s", "登录时长(秒)"}, Column{"not_ready_s", "示忙时长(秒)"}, Column{"occupancy", "占用率"})
	}
	return cols
}

func trafficRow(key string, keyVal any, t Traffic, c KPIConfig) map[string]any {
	k := t.KPIs(c)
	return map[string]any{key: keyVal, "offered": t.Offered, "answered": t.Answered, "abandoned": t.Abandoned, "short_abandoned": t.ShortAbandoned,
		"overflowed": t.Overflowed, "answered_in_sl": t.AnsweredInSL, "service_level": k.ServiceLevel, "answer_rate": k.AnswerRate,
		"abandon_rate": k.AbandonRate, "asa_s": k.ASA, "longest_wait_s": t.WaitMaxS, "handled": t.Handled, "outbound": t.Outbound,
		"talk_s": k.TalkNetS, "hold_s": t.HoldS, "acw_s": t.ACWS, "aht_s": k.AHT, "logged_in_s": t.LoggedInS, "not_ready_s": t.NotReadyS,
		"occupancy": k.Occupancy}
}

// Traffic is 客服话务统计: per queue, per agent, or per interval, hour or
// day of the queues, over a period.
func (s *Service) Traffic(ctx context.Context, tenant string, q TrafficQuery) (Table, error) {
	q.KPI = q.KPI.WithDefaults()
	if err := q.KPI.Check(); err != nil {
		return Table{}, err
	}
	if err := q.Range.check(); err != nil {
		return Table{}, err
	}
	if q.Loc == nil {
		q.Loc = time.UTC
	}
	t := Table{Report: "traffic", Title: "客服话务统计", From: q.From, To: q.To, By: q.By, Formulas: Formulas(q.KPI), Rows: []map[string]any{}}
	var err error
	switch q.By {
	case "", "queue":
		t.By = "queue"
		t.Columns = trafficColumns(false)
		t.Rows, err = s.trafficByQueue(ctx, tenant, q)
	case "agent":
		if q.Queue != "" {
			t.Columns = queueAgentColumns()
			t.Formulas["queue_agent"] = "按队列看坐席：只计该队列的呼叫（接听数、通话、保持、话后处理）；登录、示忙与占用率不分队列，见坐席报表"
			t.Rows, err = s.trafficByQueueAgent(ctx, tenant, q)
			break
		}
		t.Columns = trafficColumns(true)
		t.Rows, err = s.trafficByAgent(ctx, tenant, q, &t.Columns)
	case "interval", "hour", "day":
		t.Columns = append([]Column{{"time", "时间"}}, trafficColumns(false)[1:]...)
		t.Rows, err = s.trafficByTime(ctx, tenant, q)
	default:
		return Table{}, oa.FieldErrors{"by": "queue, agent, interval, hour or day"}
	}
	t.Total = len(t.Rows)
	return t, err
}

// queueSums is the SELECT list that sums queue intervals into a Traffic
// (thresholds were checked to be columns).
func queueSums(c KPIConfig) string {
	return fmt.Sprintf(`SUM(offered), SUM(answered), SUM(abandoned), SUM(ab_lt_%d), SUM(overflowed), SUM(ans_le_%d), SUM(wait_answered_s), MAX(wait_max_s),
		SUM(answered), 0, SUM(talk_s), SUM(hold_s), SUM(acw_s), 0, 0`, c.ShortAbandonS, c.SLSeconds)
}

func scanTraffic(sc interface{ Scan(...any) error }, key any) (Traffic, error) {
	var t Traffic
	err := sc.Scan(key, &t.Offered, &t.Answered, &t.Abandoned, &t.ShortAbandoned, &t.Overflowed, &t.AnsweredInSL, &t.WaitAnsweredS, &t.WaitMaxS,
		&t.Handled, &t.Outbound, &t.TalkS, &t.HoldS, &t.ACWS, &t.LoggedInS, &t.NotReadyS)
	return t, err
}

func (s *Service) trafficByQueue(ctx context.Context, tenant string, q TrafficQuery) ([]map[string]any, error) {
	from, to := q.intervals()
	sqlq := `SELECT queue, ` + queueSums(q.KPI) + ` FROM rpt_queue_interval WHERE tenant=? AND interval_start>=? AND interval_start<?`
	args := []any{tenant, from, to}
	if q.Queue != "" {
		sqlq += ` AND queue=?`
		args = append(args, q.Queue)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, sqlq+` GROUP BY queue ORDER BY queue`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		var key string
		t, err := scanTraffic(rows, &key)
		if err != nil {
			return nil, err
		}
		out = append(out, trafficRow("queue", key, t, q.KPI))
	}
	return out, rows.Err()
}

func (s *Service) trafficByAgent(ctx context.Context, tenant string, q TrafficQuery, cols *[]Column) ([]map[string]any, error) {
	from, to := q.intervals()
	sub, args := agentRows("rpt_agent_interval", "rpt_agent_day", `agent, handled, outbound, talk_s, hold_s, acw_s, logged_in_s, not_ready_s`, tenant, q.Agent, from, to)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT agent, 0, 0, 0, 0, 0, 0, 0, 0, SUM(handled), SUM(outbound), SUM(talk_s), SUM(hold_s), SUM(acw_s),
		SUM(logged_in_s), SUM(not_ready_s) FROM (`+sub+`) GROUP BY agent ORDER BY agent`, args...)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	byAgent := map[string]map[string]any{}
	for rows.Next() {
		var key string
		t, err := scanTraffic(rows, &key)
		if err != nil {
			rows.Close()
			return nil, err
		}
		r := trafficRow("agent", key, t, q.KPI)
		out = append(out, r)
		byAgent[key] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sub, args = agentRows("rpt_agent_notready", "rpt_agent_notready_day", `agent, reason, seconds`, tenant, q.Agent, from, to)
	rows, err = s.db.Q(ctx).QueryContext(ctx, `SELECT agent, reason, SUM(seconds) FROM (`+sub+`) GROUP BY agent, reason ORDER BY reason`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var agent, reason string
		var secs int64
		if err := rows.Scan(&agent, &reason, &secs); err != nil {
			return nil, err
		}
		key := "not_ready:" + reason
		if !seen[key] {
			seen[key] = true
			*cols = append(*cols, Column{key, "示忙-" + reason + "(秒)"})
		}
		if r := byAgent[agent]; r != nil {
			r[key] = secs
		}
	}
	return out, rows.Err()
}

func queueAgentColumns() []Column {
	return []Column{{"agent", "坐席"}, {"handled", "接听数"}, {"asa_s", "平均应答速度(秒)"}, {"longest_wait_s", "最长等待(秒)"}, {"talk_s", "通话(秒)"},
		{"hold_s", "保持(秒)"}, {"acw_s", "话后处理(秒)"}, {"aht_s", "平均处理时长(秒)"}}
}

// trafficByQueueAgent is one queue's agents: the calls of that queue each
// answered, from the calls themselves (the agent interval tables do not
// keep the queue), over the same whole intervals as the other rows.
func (s *Service) trafficByQueueAgent(ctx context.Context, tenant string, q TrafficQuery) ([]map[string]any, error) {
	from, to := q.intervals()
	sqlq := `SELECT agent, SUM(answered), SUM(CASE WHEN answered THEN wait_s ELSE 0 END), MAX(CASE WHEN answered THEN wait_s ELSE 0 END),
		SUM(CASE WHEN answered THEN talk_s ELSE 0 END), SUM(CASE WHEN answered THEN hold_s ELSE 0 END), SUM(acw_s)
		FROM rpt_calls WHERE tenant=? AND queue=? AND start_ms>=? AND start_ms<? AND agent<>'' AND disposition<>''`
	args := []any{tenant, q.Queue, from, to}
	if q.Agent != "" {
		sqlq += ` AND agent=?`
		args = append(args, q.Agent)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, sqlq+` GROUP BY agent ORDER BY agent`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		var agent string
		var t Traffic
		if err := rows.Scan(&agent, &t.Answered, &t.WaitAnsweredS, &t.WaitMaxS, &t.TalkS, &t.HoldS, &t.ACWS); err != nil {
			return nil, err
		}
		t.Handled = t.Answered
		out = append(out, trafficRow("agent", agent, t, q.KPI))
	}
	return out, rows.Err()
}

// bucket is the start of the hour or day (in loc) or interval ms falls in.
func bucket(ms int64, by string, loc *time.Location) time.Time {
	t := time.UnixMilli(ms).In(loc)
	switch by {
	case "hour":
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
	case "day":
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	}
	return t
}

func (s *Service) trafficByTime(ctx context.Context, tenant string, q TrafficQuery) ([]map[string]any, error) {
	from, to := q.intervals()
	sqlq := `SELECT interval_start, ` + queueSums(q.KPI) + ` FROM rpt_queue_interval WHERE tenant=? AND interval_start>=? AND interval_start<?`
	args := []any{tenant, from, to}
	if q.Queue != "" {
		sqlq += ` AND queue=?`
		args = append(args, q.Queue)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, sqlq+` GROUP BY interval_start`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sums := map[time.Time]*Traffic{}
	for rows.Next() {
		var iv int64
		t, err := scanTraffic(rows, &iv)
		if err != nil {
			return nil, err
		}
		b := bucket(iv, q.By, q.Loc)
		cur := sums[b]
		if cur == nil {
			cur = &Traffic{}
			sums[b] = cur
		}
		cur.add(t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]time.Time, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Before(keys[j]) })
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, trafficRow("time", k.Format(time.RFC3339), *sums[k], q.KPI))
	}
	return out, nil
}

func (t *Traffic) add(o Traffic) {
	t.Offered += o.Offered
	t.Answered += o.Answered
	t.Abandoned += o.Abandoned
	t.ShortAbandoned += o.ShortAbandoned
	t.Overflowed += o.Overflowed
	t.AnsweredInSL += o.AnsweredInSL
	t.WaitAnsweredS += o.WaitAnsweredS
	t.WaitMaxS = max(t.WaitMaxS, o.WaitMaxS)
	t.Handled += o.Handled
	t.Outbound += o.Outbound
	t.TalkS += o.TalkS
	t.HoldS += o.HoldS
	t.ACWS += o.ACWS
	t.LoggedInS += o.LoggedInS
	t.NotReadyS += o.NotReadyS
}
