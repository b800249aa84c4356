package report

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// Call is one call's facts, as call.ended or a CDR gives them.
type Call struct {
	ID          string
	Direction   string // inbound, outbound, internal
	Queue       string
	Agent       string
	Caller      string // masked before it is stored
	Callee      string
	Start       time.Time
	Answer      time.Time // zero: never answered
	End         time.Time
	WaitS       int
	RingS       int
	TalkS       int
	HoldS       int
	ACWS        int // -1: not known (kept as it is)
	Answered    bool
	Abandoned   bool
	Overflowed  bool
	Disposition string
	HangupSide  string
	HangupCause string
	Survey      *int
	Source      string // cti or cdr
}

// isExtension: the PBX's extensions are short numbers; anything longer is
// an outside number.
func isExtension(n string) bool {
	if len(n) == 0 || len(n) > 6 {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func direction(queue, caller, callee string) string {
	switch {
	case queue != "" || !isExtension(caller):
		return "inbound"
	case !isExtension(callee):
		return "outbound"
	}
	return "internal"
}

// callFromEnded reads call.ended. A queue call counts as answered when an
// agent took it (the flow in front of the queue answers the PBX leg
// first); a queue call that ended unanswered on the caller's side was
// abandoned.
func callFromEnded(d protocol.CallEnded, at time.Time) Call {
	start := parseTime(d.Start, at)
	c := Call{ID: d.Call, Queue: d.Queue, Agent: d.Agent, Caller: d.Caller, Callee: d.Callee, Start: start,
		End: parseTime(d.End, at), WaitS: max(0, d.WaitS), RingS: d.RingS, TalkS: d.TalkS, HoldS: d.HoldS, ACWS: -1,
		Disposition: d.Disposition, HangupSide: d.HangupSide, HangupCause: d.HangupCause, Source: "cti"}
	if d.Answer != "" {
		c.Answer = parseTime(d.Answer, at)
	}
	c.Direction = direction(d.Queue, d.Caller, d.Callee)
	if d.Queue != "" {
		c.Answered = d.Agent != "" && d.Answer != "" && d.TalkS > 0
		c.Abandoned = !c.Answered && d.HangupSide == "caller"
	} else {
		c.Answered = d.Answer != ""
	}
	return c
}

func parseTime(s string, def time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	return def
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// UpsertCall stores a call's facts (replacing what an earlier delivery or
// source said, but keeping the survey, transfers, overflow and after-call
// work that other events added) and recomputes its interval.
func (s *Service) UpsertCall(ctx context.Context, tenant string, c Call) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		iv := floorInterval(c.Start.UnixMilli())
		var old int64
		var oldAgent string
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT interval_start, agent FROM rpt_calls WHERE tenant=? AND call_id=?`, tenant, c.ID).Scan(&old, &oldAgent)
		exists := err == nil
		acw := any(nil)
		if c.ACWS >= 0 {
			acw = c.ACWS
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO rpt_calls(tenant, call_id, direction, queue, agent, caller_masked, callee, start_ms, answer_ms, end_ms, interval_start,
			wait_s, ring_s, talk_s, hold_s, acw_s, answered, abandoned, overflowed, disposition, hangup_side, hangup_cause, survey_score, source)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,IFNULL(?,0),?,?,?,?,?,?,?,?)
			ON CONFLICT(tenant, call_id) DO UPDATE SET direction=excluded.direction, queue=excluded.queue, agent=excluded.agent,
			caller_masked=excluded.caller_masked, callee=excluded.callee, start_ms=excluded.start_ms, answer_ms=excluded.answer_ms, end_ms=excluded.end_ms,
			interval_start=excluded.interval_start, wait_s=excluded.wait_s, ring_s=excluded.ring_s, talk_s=excluded.talk_s, hold_s=excluded.hold_s,
			acw_s=CASE WHEN ? IS NULL THEN acw_s ELSE excluded.acw_s END, answered=excluded.answered, abandoned=excluded.abandoned,
			overflowed=MAX(overflowed, excluded.overflowed), disposition=excluded.disposition, hangup_side=excluded.hangup_side,
			hangup_cause=excluded.hangup_cause, survey_score=IFNULL(excluded.survey_score, survey_score), source=excluded.source`,
			tenant, c.ID, c.Direction, c.Queue, c.Agent, fieldcrypt.Mask(c.Caller), c.Callee, c.Start.UnixMilli(), nullTime(c.Answer), c.End.UnixMilli(), iv,
			c.WaitS, c.RingS, c.TalkS, c.HoldS, acw, c.Answered, c.Abandoned, c.Overflowed, c.Disposition, c.HangupSide, c.HangupCause, c.Survey, c.Source, acw)
		if err != nil {
			return err
		}
		if exists && old != iv {
			if err := s.recomputeCalls(ctx, tenant, old, oldAgent); err != nil {
				return err
			}
		}
		agents := []string{c.Agent}
		if exists && oldAgent != c.Agent {
			agents = append(agents, oldAgent)
		}
		return s.recomputeCalls(ctx, tenant, iv, agents...)
	})
}

// ensureCall makes the row an event about a call not yet ended refers
// to, so the later call.ended keeps what it says.
func (s *Service) ensureCall(ctx context.Context, tenant, call string, at time.Time) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT OR IGNORE INTO rpt_calls(tenant, call_id, direction, start_ms, end_ms, interval_start, source)
		VALUES (?,?,'inbound',?,?,?,'cti')`, tenant, call, at.UnixMilli(), at.UnixMilli(), floorInterval(at.UnixMilli()))
	return err
}

// callInterval is the interval a stored call counts in, and its agent.
func (s *Service) callInterval(ctx context.Context, tenant, call string) (int64, string, bool, error) {
	var iv int64
	var agent string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT interval_start, agent FROM rpt_calls WHERE tenant=? AND call_id=?`, tenant, call).Scan(&iv, &agent)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	return iv, agent, err == nil, err
}

// recomputeCalls rebuilds one interval's queue rows and the agents' call
// figures from rpt_calls, and the day rows of the agents whose calls
// changed.
func (s *Service) recomputeCalls(ctx context.Context, tenant string, iv int64, changed ...string) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `DELETE FROM rpt_queue_interval WHERE tenant=? AND interval_start=?`, tenant, iv); err != nil {
		return err
	}
	// A call that has only had a survey or a transfer (no call.ended yet)
	// has end_ms = start_ms and no disposition: it is not counted yet.
	if _, err := q.ExecContext(ctx, `INSERT INTO rpt_queue_interval SELECT tenant, interval_start, queue,
		COUNT(*), SUM(answered), SUM(abandoned), SUM(overflowed),
		SUM(answered AND wait_s<=5), SUM(answered AND wait_s<=10), SUM(answered AND wait_s<=15), SUM(answered AND wait_s<=20), SUM(answered AND wait_s<=30), SUM(answered AND wait_s<=60),
		SUM(abandoned AND wait_s<5), SUM(abandoned AND wait_s<10), SUM(abandoned AND wait_s<15), SUM(abandoned AND wait_s<20), SUM(abandoned AND wait_s<30), SUM(abandoned AND wait_s<60),
		SUM(CASE WHEN answered THEN wait_s ELSE 0 END), MAX(wait_s),
		SUM(CASE WHEN answered THEN talk_s ELSE 0 END), SUM(CASE WHEN answered THEN hold_s ELSE 0 END), SUM(CASE WHEN answered THEN acw_s ELSE 0 END)
		FROM rpt_calls WHERE tenant=? AND interval_start=? AND queue<>'' AND disposition<>'' GROUP BY queue`, tenant, iv); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `UPDATE rpt_agent_interval SET handled=0, outbound=0, talk_s=0, hold_s=0, acw_s=0 WHERE tenant=? AND interval_start=?`, tenant, iv); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO rpt_agent_interval(tenant, interval_start, agent, handled, outbound, talk_s, hold_s, acw_s)
		SELECT tenant, interval_start, agent, SUM(answered), SUM(answered AND direction='outbound'),
		SUM(CASE WHEN answered THEN talk_s ELSE 0 END), SUM(CASE WHEN answered THEN hold_s ELSE 0 END), SUM(acw_s)
		FROM rpt_calls WHERE tenant=? AND interval_start=? AND agent<>'' AND disposition<>'' GROUP BY agent
		ON CONFLICT(tenant, interval_start, agent) DO UPDATE SET handled=excluded.handled, outbound=excluded.outbound,
		talk_s=excluded.talk_s, hold_s=excluded.hold_s, acw_s=excluded.acw_s`, tenant, iv)
	if err != nil {
		return err
	}
	for _, a := range changed {
		if err := s.rollupAgentDay(ctx, tenant, a, iv); err != nil {
			return err
		}
	}
	return nil
}
