package acd

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CallSummary is what the ACD's log says about one call: the queue it ended
// in, the agent who took it, how long the caller waited and how long the
// agent spent in after-call work. CDRs carry it beside the PBX's own times.
type CallSummary struct {
	Call    string
	Queue   string // the queue of the last record (after any overflow)
	Agent   string // empty unless an agent answered
	Outcome string // the last record's outcome: answered, abandoned, overflow, callback, callback_answered
	// Wait is the caller's time in queues: the last record's wait plus the
	// waits of the queues the call overflowed from.
	Wait time.Duration
	// ACW is the answering agent's wrap-up after this call; ACWKnown is
	// false while the agent is still in wrap-up (or the log has nothing yet).
	ACW      time.Duration
	ACWKnown bool
}

// maxSummaryCalls bounds one look-up (a CDR page is at most 1000 calls).
const maxSummaryCalls = 1000

// CallSummaries returns the summaries of the given calls that went through a
// queue; calls the ACD never saw are absent from the map.
func (l *SQLLog) CallSummaries(ctx context.Context, tenant string, calls []string) (map[string]CallSummary, error) {
	out := map[string]CallSummary{}
	if len(calls) == 0 {
		return out, nil
	}
	if len(calls) > maxSummaryCalls {
		return nil, fmt.Errorf("acd: %d calls in one summary look-up, at most %d", len(calls), maxSummaryCalls)
	}
	args := make([]any, 0, len(calls)+1)
	args = append(args, tenant)
	for _, c := range calls {
		args = append(args, c)
	}
	q := l.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT call_id, queue, agent, outcome, wait_ms, id FROM acd_log
		WHERE tenant=? AND kind='call' AND call_id IN (?`+strings.Repeat(",?", len(calls)-1)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("acd: call summaries: %w", err)
	}
	answeredAt := map[string]int64{}
	for rows.Next() {
		var id, queue, agent, outcome string
		var wait, row int64
		if err := rows.Scan(&id, &queue, &agent, &outcome, &wait, &row); err != nil {
			rows.Close()
			return nil, fmt.Errorf("acd: call summaries: %w", err)
		}
		s := out[id]
		prior := time.Duration(0)
		if s.Outcome == OutcomeOverflow {
			prior = s.Wait
		}
		s.Call, s.Queue, s.Agent, s.Outcome = id, queue, agent, outcome
		s.Wait = prior + time.Duration(wait)*time.Millisecond
		out[id] = s
		if agent != "" && (outcome == OutcomeAnswered || outcome == OutcomeCallbackAnswered) {
			answeredAt[id] = row
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("acd: call summaries: %w", err)
	}
	for id, row := range answeredAt {
		s := out[id]
		acw, known, err := l.afterCallWork(ctx, tenant, s.Agent, row)
		if err != nil {
			return nil, err
		}
		s.ACW, s.ACWKnown = acw, known
		out[id] = s
	}
	return out, nil
}

// afterCallWork reads the agent's states logged after the answer (row id
// answeredRow; ids, not times, because several records share a millisecond): the
// first state that is not on_call ends the call; if it is wrap_up, the next
// state ends the after-call work. An agent who went straight back to ready
// (no wrap-up configured) has zero after-call work.
func (l *SQLLog) afterCallWork(ctx context.Context, tenant, agent string, answeredRow int64) (time.Duration, bool, error) {
	rows, err := l.db.Q(ctx).QueryContext(ctx, `SELECT state, at_ms FROM acd_log
		WHERE tenant=? AND kind='agent' AND agent=? AND id>? ORDER BY id LIMIT 8`, tenant, agent, answeredRow)
	if err != nil {
		return 0, false, fmt.Errorf("acd: after-call work: %w", err)
	}
	defer rows.Close()
	var wrapAt int64 = -1
	for rows.Next() {
		var st string
		var at int64
		if err := rows.Scan(&st, &at); err != nil {
			return 0, false, fmt.Errorf("acd: after-call work: %w", err)
		}
		switch {
		case wrapAt >= 0:
			return time.Duration(at-wrapAt) * time.Millisecond, true, nil
		case State(st) == OnCall:
		case State(st) == WrapUp:
			wrapAt = at
		default:
			return 0, true, nil
		}
	}
	return 0, false, rows.Err()
}

// QueueCalls lists the ids of calls whose last queue was queue, newest
// first, between from and to (zero times: unbounded), at most limit.
func (l *SQLLog) QueueCalls(ctx context.Context, tenant, queue string, from, to time.Time, limit int) ([]string, error) {
	if limit <= 0 || limit > maxSummaryCalls {
		limit = maxSummaryCalls
	}
	hi := int64(1<<62 - 1)
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	rows, err := l.db.Q(ctx).QueryContext(ctx, `SELECT call_id FROM acd_log a
		WHERE tenant=? AND kind='call' AND queue=? AND at_ms>=? AND at_ms<?
		AND id = (SELECT MAX(id) FROM acd_log b WHERE b.tenant=a.tenant AND b.kind='call' AND b.call_id=a.call_id)
		ORDER BY id DESC LIMIT ?`, tenant, queue, from.UnixMilli(), hi, limit)
	if err != nil {
		return nil, fmt.Errorf("acd: queue calls: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("acd: queue calls: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
