package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/yimen/yimen/oa"
)

// Chart is one chart of the home page (首页图形化报表): its data as
// a table, and the ECharts type the page draws it as.
type Chart struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"` // line, bar, pie
	Table Table  `json:"table"`
}

// ChartIDs lists the charts a dashboard may show, in the default order.
func ChartIDs() []string {
	return []string{"volume", "call_trend", "service_level", "customer_types", "tickets_by_category", "tickets_by_status"}
}

// DashboardCharts is a tenant's chart list (the default when unset).
func (s *Service) DashboardCharts(ctx context.Context, tenant string) ([]string, error) {
	var raw string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT charts FROM rpt_dashboard WHERE tenant=?`, tenant).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return ChartIDs(), nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	err = json.Unmarshal([]byte(raw), &ids)
	return ids, err
}

// SetDashboardCharts chooses which charts the home page shows, in order.
func (s *Service) SetDashboardCharts(ctx context.Context, tenant string, ids []string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if !slices.Contains(ChartIDs(), id) || seen[id] {
			return oa.FieldErrors{"charts": "distinct ids among " + `volume, call_trend, service_level, customer_types, tickets_by_category, tickets_by_status`}
		}
		seen[id] = true
	}
	raw, _ := json.Marshal(append([]string{}, ids...))
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO rpt_dashboard(tenant, charts) VALUES (?,?) ON CONFLICT(tenant) DO UPDATE SET charts=excluded.charts`, tenant, string(raw))
	return err
}

// Dashboard computes the tenant's charts over r; volume and trends are
// by hour over a range of two days or less, by day beyond.
func (s *Service) Dashboard(ctx context.Context, tenant string, r Range, kpi KPIConfig, loc *time.Location) ([]Chart, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	ids, err := s.DashboardCharts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	step := "day"
	if r.To.Sub(r.From) <= 48*time.Hour {
		step = "hour"
	}
	dayKey := func(ms int64) string { return time.UnixMilli(ms).In(loc).Format("2006-01-02") }
	out := []Chart{}
	for _, id := range ids {
		c := Chart{ID: id}
		switch id {
		case "volume":
			c.Title, c.Type = "呼入/呼出量", "bar"
			c.Table, err = s.volume(ctx, tenant, r, step, loc)
		case "call_trend":
			c.Title, c.Type = "话务趋势", "line"
			c.Table, err = s.Traffic(ctx, tenant, TrafficQuery{Range: r, By: step, KPI: kpi, Loc: loc})
		case "service_level":
			c.Title, c.Type = "服务水平", "line"
			c.Table, err = s.Traffic(ctx, tenant, TrafficQuery{Range: r, By: step, KPI: kpi, Loc: loc})
		case "customer_types":
			c.Title, c.Type = "客户类型", "pie"
			c.Table, err = s.Customers(ctx, tenant, r, "type")
		case "tickets_by_category":
			c.Title, c.Type = "工单分类", "bar"
			c.Table, err = s.Tickets(ctx, tenant, TicketQuery{Range: r, By: "category"}, dayKey)
		case "tickets_by_status":
			c.Title, c.Type = "工单状态", "pie"
			c.Table, err = s.Tickets(ctx, tenant, TicketQuery{Range: r, By: "status"}, dayKey)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// volume counts the calls that ended, inbound and outbound, by hour or day.
func (s *Service) volume(ctx context.Context, tenant string, r Range, step string, loc *time.Location) (Table, error) {
	from, to := r.intervals()
	t := Table{Report: "volume", Title: "呼入/呼出量", From: r.From, To: r.To, By: step, Rows: []map[string]any{},
		Columns:  []Column{{"time", "时间"}, {"inbound", "呼入"}, {"outbound", "呼出"}},
		Formulas: map[string]string{"inbound": "呼入 = 来自外部号码或进入队列的呼叫", "outbound": "呼出 = 分机拨往外部号码的呼叫"}}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT interval_start, SUM(direction='inbound'), SUM(direction='outbound') FROM rpt_calls
		WHERE tenant=? AND interval_start>=? AND interval_start<? AND disposition<>'' GROUP BY interval_start ORDER BY interval_start`, tenant, from, to)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	var last map[string]any
	for rows.Next() {
		var iv, in, outb int64
		if err := rows.Scan(&iv, &in, &outb); err != nil {
			return Table{}, err
		}
		k := bucket(iv, step, loc).Format(time.RFC3339)
		if last != nil && last["time"] == k {
			last["inbound"] = last["inbound"].(int64) + in
			last["outbound"] = last["outbound"].(int64) + outb
			continue
		}
		last = map[string]any{"time": k, "inbound": in, "outbound": outb}
		t.Rows = append(t.Rows, last)
	}
	t.Total = len(t.Rows)
	return t, rows.Err()
}
