package report

import (
	"context"

	"github.com/yimen/yimen/oa"
)

// TicketQuery asks for 工单统计 or 工单处理统计.
type TicketQuery struct {
	Range
	By string // category, department, channel, status (工单统计 only), day (工单统计 only)
}

// ticketKey is the SQL of a ticket facts row's group and its label, and
// of the name it is shown by.
func ticketKey(by string) (group, name, label string, err error) {
	switch by {
	case "", "category":
		return `f.category_id`, `IFNULL((SELECT name FROM oa_categories WHERE id=f.category_id), f.category_id)`, "分类", nil
	case "department":
		return `f.department_id`, `IFNULL((SELECT name FROM oa_departments WHERE id=f.department_id), '(未派单)')`, "部门", nil
	case "channel":
		return `f.channel`, `f.channel`, "渠道", nil
	}
	return "", "", "", oa.FieldErrors{"by": "category, department, channel, status or day"}
}

// Tickets is 工单统计: tickets created, resolved and archived in a period
// by category, department, channel or day, or the period's tickets by
// their state now.
func (s *Service) Tickets(ctx context.Context, tenant string, q TicketQuery, dayKey func(ms int64) string) (Table, error) {
	if err := q.Range.check(); err != nil {
		return Table{}, err
	}
	if _, err := s.FoldTickets(ctx); err != nil {
		return Table{}, err
	}
	from, to := q.ms()
	ivFrom, ivTo := q.intervals()
	t := Table{Report: "tickets", Title: "工单统计", From: q.From, To: q.To, By: q.By, Rows: []map[string]any{}, Formulas: map[string]string{
		"created":  "受理量 = 期间内新建的工单数",
		"resolved": "办结量 = 期间内办结（办结动作）的次数",
		"archived": "归档量 = 期间内归档的工单数",
		"state":    "按状态：期间内新建的工单此刻所处的状态",
	}}
	if q.By == "status" {
		t.Columns = []Column{{"key", "状态"}, {"count", "工单数"}}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT state, COUNT(*) FROM oa_tickets WHERE tenant=? AND created_at>=? AND created_at<? AND merged_into IS NULL
			GROUP BY state ORDER BY COUNT(*) DESC`, tenant, from, to)
		if err != nil {
			return Table{}, err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				return Table{}, err
			}
			t.Rows = append(t.Rows, map[string]any{"key": k, "count": n})
		}
		t.Total = len(t.Rows)
		return t, rows.Err()
	}
	group, key, label := "f.interval_start", "f.interval_start", "日期"
	if q.By != "day" {
		var err error
		if group, key, label, err = ticketKey(q.By); err != nil {
			return Table{}, err
		}
	}
	t.Columns = []Column{{"key", label}, {"created", "受理量"}, {"resolved", "办结量"}, {"archived", "归档量"}}
	// Grouped by id (two categories may share a name); the row's id lets a
	// page open the tickets behind it.
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+group+`, `+key+`, SUM(created), SUM(resolved), SUM(archived) FROM rpt_ticket_interval f
		WHERE tenant=? AND interval_start>=? AND interval_start<? GROUP BY 1 ORDER BY 2, 1`, tenant, ivFrom, ivTo)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	byDay := map[string]map[string]any{}
	for rows.Next() {
		var id, k any
		var c, r, a int64
		if err := rows.Scan(&id, &k, &c, &r, &a); err != nil {
			return Table{}, err
		}
		if q.By == "day" {
			d := dayKey(k.(int64))
			if row := byDay[d]; row != nil {
				row["created"] = row["created"].(int64) + c
				row["resolved"] = row["resolved"].(int64) + r
				row["archived"] = row["archived"].(int64) + a
				continue
			}
			k = d
		}
		row := map[string]any{"key": Cell(k), "created": c, "resolved": r, "archived": a}
		if q.By == "day" {
			byDay[k.(string)] = row
		} else {
			row["id"] = Cell(id)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Total = len(t.Rows)
	return t, rows.Err()
}

// TicketHandling is 工单处理统计 by department or category: on-time
// signing and resolving, returns, reopens and satisfaction.
func (s *Service) TicketHandling(ctx context.Context, tenant string, q TicketQuery) (Table, error) {
	if err := q.Range.check(); err != nil {
		return Table{}, err
	}
	if q.By == "" {
		q.By = "department"
	}
	group, key, label, err := ticketKey(q.By)
	if err != nil {
		return Table{}, err
	}
	if _, err := s.FoldTickets(ctx); err != nil {
		return Table{}, err
	}
	from, to := q.intervals()
	t := Table{Report: "ticket-handling", Title: "工单处理统计", From: q.From, To: q.To, By: q.By, Rows: []map[string]any{},
		Columns: []Column{{"key", label}, {"dispatched", "派单数"}, {"signed", "签收数"}, {"sign_on_time_rate", "按时签收率"}, {"resolved", "办结数"},
			{"resolve_on_time_rate", "按时办结率"}, {"returned", "退单数"}, {"return_rate", "退单率"}, {"reopened", "重办数"}, {"reopen_rate", "重办率"},
			{"visited", "回访数"}, {"satisfaction", "平均满意度"}, {"satisfied_rate", "回访满意率"}},
		Formulas: map[string]string{
			"sign_on_time_rate":    "按时签收率 = (签收数 − 签收时已超时数) ÷ 签收数；时限按工作日历计",
			"resolve_on_time_rate": "按时办结率 = (办结数 − 办结时已超时数) ÷ 办结数",
			"return_rate":          "退单率 = 退单数 ÷ 派单数",
			"reopen_rate":          "重办率 = 重办数 ÷ 办结数",
			"satisfaction":         "平均满意度 = 回访满意度评分之和 ÷ 回访数（1-5 分）",
			"satisfied_rate":       "回访满意率 = 评分 4 分及以上的回访数 ÷ 回访数",
		}}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+group+`, `+key+`, SUM(dispatched), SUM(signed), SUM(signed_late), SUM(resolved), SUM(resolved_late),
		SUM(returned), SUM(reopened), SUM(visited), SUM(satisfied), SUM(satisfaction_sum) FROM rpt_ticket_interval f
		WHERE tenant=? AND interval_start>=? AND interval_start<? GROUP BY 1 ORDER BY 2, 1`, tenant, from, to)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, k any
		var disp, signed, signedLate, resolved, resolvedLate, returned, reopened, visited, satisfied, satSum int64
		if err := rows.Scan(&id, &k, &disp, &signed, &signedLate, &resolved, &resolvedLate, &returned, &reopened, &visited, &satisfied, &satSum); err != nil {
			return Table{}, err
		}
		t.Rows = append(t.Rows, map[string]any{"id": Cell(id), "key": Cell(k), "dispatched": disp, "signed": signed, "sign_on_time_rate": ratio(signed-signedLate, signed),
			"resolved": resolved, "resolve_on_time_rate": ratio(resolved-resolvedLate, resolved), "returned": returned, "return_rate": ratio(returned, disp),
			"reopened": reopened, "reopen_rate": ratio(reopened, resolved), "visited": visited, "satisfaction": ratio(satSum, visited),
			"satisfied_rate": ratio(satisfied, visited)})
	}
	t.Total = len(t.Rows)
	return t, rows.Err()
}
