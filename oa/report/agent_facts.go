package report

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/yimen/yimen/cti/protocol"
)

// Agent states as agent.state names them (docs/cti.md).
const (
	stateLoggedOut = "logged_out"
	stateReady     = "ready"
	stateNotReady  = "not_ready"
	stateReserved  = "reserved"
	stateOnCall    = "on_call"
	stateWrapUp    = "wrap_up"
)

type agentEvent struct {
	at     int64
	state  string
	reason string
	call   string
}

// agentState records a state change that began at since, then recounts
// the state time of the intervals the span before it (and after it, when
// it arrived late) covers, and the after-call work of the call whose
// wrap-up it ended.
func (s *Service) agentState(ctx context.Context, tenant string, d protocol.AgentState, since time.Time) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		at := since.UnixMilli()
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT OR IGNORE INTO rpt_agent_events(tenant, agent, at_ms, state, reason, call_id) VALUES (?,?,?,?,?,?)`,
			tenant, d.Agent, at, d.State, d.Reason, d.Call)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // seen before
		}
		prev, err := s.agentEventNear(ctx, tenant, d.Agent, `at_ms<? ORDER BY at_ms DESC`, at)
		if err != nil {
			return err
		}
		next, err := s.agentEventNear(ctx, tenant, d.Agent, `at_ms>? ORDER BY at_ms`, at)
		if err != nil {
			return err
		}
		from, to := at, at
		if prev != nil {
			from = prev.at
			if prev.state == stateWrapUp && prev.call != "" {
				if err := s.setACW(ctx, tenant, prev.call, int((at-prev.at)/1000)); err != nil {
					return err
				}
			}
		}
		if next != nil {
			to = next.at
			if d.State == stateWrapUp && d.Call != "" {
				if err := s.setACW(ctx, tenant, d.Call, int((next.at-at)/1000)); err != nil {
					return err
				}
			}
		}
		for iv := floorInterval(from); iv <= floorInterval(to); iv += intervalMS {
			if err := s.recomputeAgentStates(ctx, tenant, d.Agent, iv); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) agentEventNear(ctx context.Context, tenant, agent, cond string, at int64) (*agentEvent, error) {
	var e agentEvent
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT at_ms, state, reason, call_id FROM rpt_agent_events WHERE tenant=? AND agent=? AND `+cond+` LIMIT 1`,
		tenant, agent, at).Scan(&e.at, &e.state, &e.reason, &e.call)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &e, err
}

// setACW sets a call's after-call work and recounts its interval.
func (s *Service) setACW(ctx context.Context, tenant, call string, secs int) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE rpt_calls SET acw_s=? WHERE tenant=? AND call_id=?`, secs, tenant, call); err != nil {
		return err
	}
	iv, agent, ok, err := s.callInterval(ctx, tenant, call)
	if err != nil || !ok {
		return err
	}
	return s.recomputeCalls(ctx, tenant, iv, agent)
}

// recomputeAgentStates recounts an agent's seconds per state in one
// interval from the state changes: each state lasts from its change to
// the next one (the last, still running, is counted when it ends).
func (s *Service) recomputeAgentStates(ctx context.Context, tenant, agent string, iv int64) error {
	end := iv + intervalMS
	q := s.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT at_ms, state, reason FROM rpt_agent_events WHERE tenant=? AND agent=? AND at_ms < ? AND at_ms >=
		IFNULL((SELECT MAX(at_ms) FROM rpt_agent_events WHERE tenant=? AND agent=? AND at_ms <= ?), ?) ORDER BY at_ms`, tenant, agent, end, tenant, agent, iv, iv)
	if err != nil {
		return err
	}
	var evs []agentEvent
	for rows.Next() {
		var e agentEvent
		if err := rows.Scan(&e.at, &e.state, &e.reason); err != nil {
			rows.Close()
			return err
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The change after the interval closes its last span.
	var after sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MIN(at_ms) FROM rpt_agent_events WHERE tenant=? AND agent=? AND at_ms >= ?`, tenant, agent, end).Scan(&after); err != nil {
		return err
	}
	secs := map[string]int64{}
	reasons := map[string]int64{}
	for i, e := range evs {
		stop := int64(-1)
		if i+1 < len(evs) {
			stop = evs[i+1].at
		} else if after.Valid {
			stop = after.Int64
		}
		if stop < 0 {
			break // still in this state
		}
		lo, hi := max(e.at, iv), min(stop, end)
		if hi <= lo {
			continue
		}
		ms := hi - lo
		secs[e.state] += ms
		if e.state == stateNotReady {
			reasons[e.reason] += ms
		}
	}
	loggedIn := int64(0)
	for st, ms := range secs {
		if st != stateLoggedOut {
			loggedIn += ms
		}
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO rpt_agent_interval(tenant, interval_start, agent, logged_in_s, ready_s, not_ready_s, reserved_s, on_call_s, wrap_up_s)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(tenant, interval_start, agent) DO UPDATE SET logged_in_s=excluded.logged_in_s, ready_s=excluded.ready_s,
		not_ready_s=excluded.not_ready_s, reserved_s=excluded.reserved_s, on_call_s=excluded.on_call_s, wrap_up_s=excluded.wrap_up_s`,
		tenant, iv, agent, loggedIn/1000, secs[stateReady]/1000, secs[stateNotReady]/1000, secs[stateReserved]/1000, secs[stateOnCall]/1000, secs[stateWrapUp]/1000); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM rpt_agent_notready WHERE tenant=? AND interval_start=? AND agent=?`, tenant, iv, agent); err != nil {
		return err
	}
	for reason, ms := range reasons {
		if reason == "" {
			reason = "(none)"
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO rpt_agent_notready(tenant, interval_start, agent, reason, seconds) VALUES (?,?,?,?,?)
			ON CONFLICT DO UPDATE SET seconds=seconds+excluded.seconds`, tenant, iv, agent, reason, ms/1000); err != nil {
			return err
		}
	}
	return s.rollupAgentDay(ctx, tenant, agent, iv)
}
