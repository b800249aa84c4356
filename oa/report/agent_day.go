package report

import "context"

const dayMS = int64(24 * 60 * 60 * 1000)

func floorDay(ms int64) int64 { return ms - ((ms%dayMS)+dayMS)%dayMS }

const agentSums = `SUM(handled), SUM(outbound), SUM(talk_s), SUM(hold_s), SUM(acw_s), SUM(logged_in_s), SUM(ready_s), SUM(not_ready_s),
	SUM(reserved_s), SUM(on_call_s), SUM(wrap_up_s)`

// rollupAgentDay recomputes an agent's day row (and not-ready reasons)
// from the intervals of the UTC day iv is in.
func (s *Service) rollupAgentDay(ctx context.Context, tenant, agent string, iv int64) error {
	if agent == "" {
		return nil
	}
	day := floorDay(iv)
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `DELETE FROM rpt_agent_day WHERE tenant=? AND day_start=? AND agent=?`, tenant, day, agent); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO rpt_agent_day SELECT tenant, ?, agent, `+agentSums+` FROM rpt_agent_interval
		WHERE tenant=? AND agent=? AND interval_start>=? AND interval_start<? GROUP BY tenant, agent`, day, tenant, agent, day, day+dayMS); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM rpt_agent_notready_day WHERE tenant=? AND day_start=? AND agent=?`, tenant, day, agent); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO rpt_agent_notready_day SELECT tenant, ?, agent, reason, SUM(seconds) FROM rpt_agent_notready
		WHERE tenant=? AND agent=? AND interval_start>=? AND interval_start<? GROUP BY tenant, agent, reason`, day, tenant, agent, day, day+dayMS)
	return err
}

// RebuildAgentDays recomputes every day row from the intervals (after an
// upgrade, or intervals written by other means).
func (s *Service) RebuildAgentDays(ctx context.Context) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		for _, stmt := range []string{`DELETE FROM rpt_agent_day`, `DELETE FROM rpt_agent_notready_day`,
			`INSERT INTO rpt_agent_day SELECT tenant, interval_start - interval_start % 86400000, agent, ` + agentSums + `
				FROM rpt_agent_interval GROUP BY 1, 2, 3`,
			`INSERT INTO rpt_agent_notready_day SELECT tenant, interval_start - interval_start % 86400000, agent, reason, SUM(seconds)
				FROM rpt_agent_notready GROUP BY 1, 2, 3, 4`} {
			if _, err := q.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}

// agentSpans splits an interval range into whole UTC days [d0, d1) and
// the intervals before and after them: the interval condition and its
// arguments, and whether there are whole days.
func agentSpans(from, to int64) (cond string, args []any, days bool, d0, d1 int64) {
	d0 = floorDay(from)
	if d0 < from {
		d0 += dayMS
	}
	d1 = floorDay(to)
	if d1 <= d0 {
		return `interval_start>=? AND interval_start<?`, []any{from, to}, false, 0, 0
	}
	return `((interval_start>=? AND interval_start<?) OR (interval_start>=? AND interval_start<?))`, []any{from, d0, d1, to}, true, d0, d1
}

// agentRows is the SQL of the agent rows (interval and day) in a range,
// with agentSums' columns summable by agent, and its arguments.
func agentRows(table, dayTable, cols, tenant, agent string, from, to int64) (string, []any) {
	cond, args, days, d0, d1 := agentSpans(from, to)
	q := `SELECT ` + cols + ` FROM ` + table + ` WHERE tenant=? AND ` + cond
	all := append([]any{tenant}, args...)
	if agent != "" {
		q += ` AND agent=?`
		all = append(all, agent)
	}
	if days {
		q += ` UNION ALL SELECT ` + cols + ` FROM ` + dayTable + ` WHERE tenant=? AND day_start>=? AND day_start<?`
		all = append(all, tenant, d0, d1)
		if agent != "" {
			q += ` AND agent=?`
			all = append(all, agent)
		}
	}
	return q, all
}
