package acd

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// maxPending bounds the records held while the database is failing; past
// it the oldest are dropped (and counted in the log line) rather than
// letting memory grow without end.
const maxPending = 100_000

// rowsPerInsert keeps one INSERT's parameters well under SQLite's limit.
const rowsPerInsert = 200

// SQLLog is the Log kept in the acd_log table. Append only queues; a
// background goroutine writes batches, so the actor never waits on disk.
type SQLLog struct {
	db      *store.DB
	logger  *slog.Logger
	mu      sync.Mutex
	pending []Record
	dropped int
	writeMu sync.Mutex // one batch at a time, in order
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// OpenSQLLog migrates the acd tables and starts the writer.
func OpenSQLLog(ctx context.Context, db *store.DB, logger *slog.Logger) (*SQLLog, error) {
	if err := db.Migrate(ctx, "acd", migrationFiles); err != nil {
		return nil, err
	}
	l := &SQLLog{db: db, logger: logger, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l, nil
}

// Append queues r for writing.
func (l *SQLLog) Append(r Record) {
	l.mu.Lock()
	if len(l.pending) >= maxPending {
		l.pending = l.pending[1:]
		l.dropped++
	}
	l.pending = append(l.pending, r)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *SQLLog) run() {
	defer close(l.done)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-l.wake:
		case <-retry.C:
		case <-l.quit:
			return
		}
		if err := l.Flush(context.Background()); err != nil {
			l.logger.Error("acd: writing the log failed; will retry", "err", err)
			retry.Reset(time.Second)
		}
	}
}

// Flush writes everything queued so far.
func (l *SQLLog) Flush(ctx context.Context) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	dropped := l.dropped
	l.dropped = 0
	l.mu.Unlock()
	if dropped > 0 {
		l.logger.Error("acd: log records dropped while the database was failing", "dropped", dropped)
	}
	if len(batch) == 0 {
		return nil
	}
	err := l.db.InTx(ctx, func(ctx context.Context) error {
		q := l.db.Q(ctx)
		for rest := batch; len(rest) > 0; {
			chunk := rest[:min(len(rest), rowsPerInsert)]
			rest = rest[len(chunk):]
			var sb strings.Builder
			sb.WriteString(`INSERT INTO acd_log(tenant, at_ms, kind, agent, queue, call_id, state, reason, outcome, wait_ms, in_sl, score) VALUES `)
			args := make([]any, 0, len(chunk)*12)
			for i, r := range chunk {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
				args = append(args, r.Tenant, r.At.UnixMilli(), string(r.Kind), r.Agent, r.Queue, r.Call,
					string(r.State), r.Reason, r.Outcome, r.Wait.Milliseconds(), r.InSL, r.Score)
			}
			if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.mu.Lock()
		l.pending = append(batch, l.pending...)
		l.mu.Unlock()
		return fmt.Errorf("acd: write log: %w", err)
	}
	return nil
}

// Close writes what is queued and stops the writer.
func (l *SQLLog) Close(ctx context.Context) error {
	l.once.Do(func() { close(l.quit) })
	<-l.done
	return l.Flush(ctx)
}

// Restore reads each agent's last state and today's counters.
func (l *SQLLog) Restore(ctx context.Context, tenant string, dayStart time.Time) (Restored, error) {
	r := Restored{Queues: map[string]DayCounts{}, AgentAnswered: map[string]int{}, AgentDay: map[string]AgentDay{}}
	q := l.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT agent, state, reason, at_ms FROM acd_log WHERE id IN
		(SELECT MAX(id) FROM acd_log WHERE tenant=? AND kind='agent' GROUP BY agent) ORDER BY id`, tenant)
	if err != nil {
		return r, fmt.Errorf("acd: restore agents: %w", err)
	}
	for rows.Next() {
		var ra RestoredAgent
		var st string
		var at int64
		if err := rows.Scan(&ra.ID, &st, &ra.Reason, &at); err != nil {
			rows.Close()
			return r, fmt.Errorf("acd: restore agents: %w", err)
		}
		ra.State, ra.At = State(st), time.UnixMilli(at)
		if ra.State != LoggedOut {
			r.Agents = append(r.Agents, ra)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("acd: restore agents: %w", err)
	}
	if err := l.restoreAgentDays(ctx, tenant, dayStart, r.AgentDay); err != nil {
		return r, err
	}
	rows, err = q.QueryContext(ctx, `SELECT queue, agent, outcome, in_sl, wait_ms, score FROM acd_log WHERE tenant=? AND kind IN ('call', 'survey') AND at_ms>=?`,
		tenant, dayStart.UnixMilli())
	if err != nil {
		return r, fmt.Errorf("acd: restore counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var queue, agent, outcome string
		var inSL bool
		var waitMS int64
		var score int
		if err := rows.Scan(&queue, &agent, &outcome, &inSL, &waitMS, &score); err != nil {
			return r, fmt.Errorf("acd: restore counters: %w", err)
		}
		d := r.Queues[queue]
		switch outcome {
		case OutcomeAnswered:
			d.Answered++
			d.AnsweredWait += time.Duration(waitMS) * time.Millisecond
			if inSL {
				d.AnsweredInSL++
			}
			r.AgentAnswered[agent]++
		case OutcomeCallbackAnswered:
			r.AgentAnswered[agent]++
		case OutcomeAbandoned:
			d.Abandoned++
			if inSL {
				d.AbandonedShort++
			}
		case OutcomeOverflow:
			d.Overflowed++
		case OutcomeCallback:
			d.Callbacks++
		case OutcomeSurvey:
			d.Surveys.add(inSL, score)
			ad := r.AgentDay[agent]
			ad.Surveys.add(inSL, score)
			r.AgentDay[agent] = ad
		}
		r.Queues[queue] = d
	}
	return r, rows.Err()
}

// restoreAgentDays adds up each agent's calls and wrap-ups since dayStart
// from their state changes: a stretch on a call or in wrap-up ends at the
// agent's next change. One still open at the restart is left out: its
// call ended with the process at an unknown moment.
func (l *SQLLog) restoreAgentDays(ctx context.Context, tenant string, dayStart time.Time, out map[string]AgentDay) error {
	rows, err := l.db.Q(ctx).QueryContext(ctx, `SELECT agent, state, at_ms FROM acd_log WHERE tenant=? AND kind='agent' AND at_ms>=? ORDER BY id`,
		tenant, dayStart.UnixMilli())
	if err != nil {
		return fmt.Errorf("acd: restore agents' day: %w", err)
	}
	defer rows.Close()
	type open struct {
		state State
		at    int64
	}
	last := map[string]open{}
	for rows.Next() {
		var agent, st string
		var at int64
		if err := rows.Scan(&agent, &st, &at); err != nil {
			return fmt.Errorf("acd: restore agents' day: %w", err)
		}
		if p, ok := last[agent]; ok {
			d := out[agent]
			switch {
			case p.state == OnCall && State(st) != OnCall:
				d.Handled++
				d.Talk += time.Duration(at-p.at) * time.Millisecond
			case p.state == WrapUp:
				d.WrapUp += time.Duration(at-p.at) * time.Millisecond
			}
			out[agent] = d
		}
		last[agent] = open{State(st), at}
	}
	return rows.Err()
}

// Records returns a tenant's log between from and to (reports, tests).
func (l *SQLLog) Records(ctx context.Context, tenant string, from, to time.Time) ([]Record, error) {
	rows, err := l.db.Q(ctx).QueryContext(ctx, `SELECT at_ms, kind, agent, queue, call_id, state, reason, outcome, wait_ms, in_sl, score
		FROM acd_log WHERE tenant=? AND at_ms>=? AND at_ms<? ORDER BY id`, tenant, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("acd: records: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r := Record{Tenant: tenant}
		var at, wait int64
		var kind, st string
		if err := rows.Scan(&at, &kind, &r.Agent, &r.Queue, &r.Call, &st, &r.Reason, &r.Outcome, &wait, &r.InSL, &r.Score); err != nil {
			return nil, fmt.Errorf("acd: records: %w", err)
		}
		r.At, r.Kind, r.State, r.Wait = time.UnixMilli(at), RecordKind(kind), State(st), time.Duration(wait)*time.Millisecond
		out = append(out, r)
	}
	return out, rows.Err()
}

var _ Log = (*SQLLog)(nil)
