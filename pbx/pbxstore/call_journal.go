package pbxstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/store"
)

// DispositionInterrupted marks the CDR of a call that was in progress when
// the PBX stopped without a drain (kill -9, crash, power cut): start-up
// turns its journal row into this CDR, hung up by "system" with cause
// HangupCrash.
const (
	DispositionInterrupted = "interrupted"
	HangupCrash            = "crash"
)

// OpenCall is a call in progress as the call journal keeps it.
type OpenCall struct {
	ID, Tenant     string
	Caller, Callee string
	ACallID        string // the caller's leg
	Start          time.Time
	Answer         time.Time // zero until answered
}

// CallLog is one batch for the call journal and the CDRs, written in one
// transaction in this order: calls opened, calls answered, calls ended
// (each CDR deletes its call's journal row), the heartbeat.
type CallLog struct {
	Opened   []OpenCall
	Answered []OpenCall // ID and Answer are used
	Ended    []CDR
	// Alive, when set, is stored as the last moment the PBX was known to
	// run: the end time of the calls a crash leaves in the journal.
	Alive time.Time
}

// Empty reports whether l has nothing to write.
func (l CallLog) Empty() bool {
	return len(l.Opened) == 0 && len(l.Answered) == 0 && len(l.Ended) == 0 && l.Alive.IsZero()
}

// WriteCallLog applies a batch. The numbers are sealed before the
// transaction opens, so the write lock is held only for the SQL.
func (s *Store) WriteCallLog(ctx context.Context, l CallLog) error {
	opened := make([]sealedNumbers, len(l.Opened))
	for i, o := range l.Opened {
		n, err := s.sealNumbers(ctx, o.ID, o.Caller, o.Callee)
		if err != nil {
			return err
		}
		opened[i] = n
	}
	ended := make([]sealedNumbers, len(l.Ended))
	for i, c := range l.Ended {
		n, err := s.sealCDR(ctx, c)
		if err != nil {
			return err
		}
		ended[i] = n
	}
	written := ms(time.Now())
	if !l.Alive.IsZero() {
		written = ms(l.Alive)
	}
	opens := make([][]any, len(l.Opened))
	for i, o := range l.Opened {
		n := opened[i]
		opens[i] = []any{o.ID, o.Tenant, n.callerEnc, n.callerIdx, n.calleeEnc, n.calleeIdx, o.ACallID, ms(o.Start), nullMS(o.Answer), written}
	}
	answers := make([][]any, len(l.Answered))
	for i, o := range l.Answered {
		answers[i] = []any{o.ID, nullMS(o.Answer)}
	}
	closes := make([][]any, len(l.Ended))
	for i, c := range l.Ended {
		closes[i] = []any{c.ID}
	}
	// One statement per kind and batch, not per call: preparing a statement
	// costs more than running it.
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if err := execRows(ctx, q, `INSERT OR REPLACE INTO open_calls(id, tenant, caller_enc, caller_idx, callee_enc, callee_idx,
			a_call_id, start_at, answer_at, updated_at) VALUES `, "", opens); err != nil {
			return fmt.Errorf("pbxstore: journal calls: %w", err)
		}
		if err := execRows(ctx, q, `UPDATE open_calls SET answer_at = v.column2, updated_at = `+fmt.Sprint(written)+` FROM (VALUES `,
			`) AS v WHERE open_calls.id = v.column1`, answers); err != nil {
			return fmt.Errorf("pbxstore: journal answers: %w", err)
		}
		if len(l.Ended) > 0 {
			if err := s.insertCDRRows(ctx, l.Ended, ended); err != nil {
				return err
			}
			if err := execRows(ctx, q, `DELETE FROM open_calls WHERE id IN (VALUES `, `)`, closes); err != nil {
				return fmt.Errorf("pbxstore: close journal rows: %w", err)
			}
		}
		if !l.Alive.IsZero() {
			if _, err := q.ExecContext(ctx, `INSERT INTO pbx_heartbeat(id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at=excluded.at`, ms(l.Alive)); err != nil {
				return fmt.Errorf("pbxstore: heartbeat: %w", err)
			}
		}
		return nil
	})
}

// rowsPerStatement bounds one multi-row statement (27 columns x 200 rows
// stays far below SQLite's 32766 variables).
const rowsPerStatement = 200

// execRows runs head + "(?,..),(?,..)" + tail for rows, in chunks of
// rowsPerStatement; every row has the same number of values.
func execRows(ctx context.Context, q store.Querier, head, tail string, rows [][]any) error {
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), rowsPerStatement)]
		rows = rows[len(chunk):]
		tuple := "(?" + strings.Repeat(",?", len(chunk[0])-1) + ")"
		var sb strings.Builder
		sb.WriteString(head)
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		for i, r := range chunk {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(tuple)
			args = append(args, r...)
		}
		sb.WriteString(tail)
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// OpenCalls lists the journal: the calls in progress, or, before
// CloseInterrupted has run at start-up, the calls a crash interrupted.
func (s *Store) OpenCalls(ctx context.Context) ([]OpenCall, error) {
	rows, err := s.openCallRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]OpenCall, 0, len(rows))
	for _, r := range rows {
		caller, err := s.sealer.Decrypt(ctx, "cdrs", r.ID, "caller", r.n.callerEnc)
		if err != nil {
			return nil, fmt.Errorf("pbxstore: open journal row %s: %w", r.ID, err)
		}
		callee, err := s.sealer.Decrypt(ctx, "cdrs", r.ID, "callee", r.n.calleeEnc)
		if err != nil {
			return nil, fmt.Errorf("pbxstore: open journal row %s: %w", r.ID, err)
		}
		r.Caller, r.Callee = string(caller), string(callee)
		out = append(out, r.OpenCall)
	}
	return out, nil
}

// CloseInterrupted turns every call left in the journal into a closed CDR
// (DispositionInterrupted) and empties the journal; run it at start-up,
// before any call. A call ends at the last moment the PBX was known alive:
// the newer of the heartbeat and the row's own last write. The CDR keeps
// the call's id, which is also its recording's id. It returns the CDRs
// written (numbers left sealed, Caller and Callee empty).
func (s *Store) CloseInterrupted(ctx context.Context) ([]CDR, error) {
	var out []CDR
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var alive int64
		if err := q.QueryRowContext(ctx, `SELECT at FROM pbx_heartbeat WHERE id=1`).Scan(&alive); err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("pbxstore: heartbeat: %w", err)
		}
		rows, err := s.openCallRows(ctx)
		if err != nil {
			return err
		}
		var sealed []sealedNumbers
		for _, r := range rows {
			out = append(out, interruptedCDR(r, fromMS(max(alive, r.updated))))
			sealed = append(sealed, r.n)
		}
		if err := s.insertCDRRows(ctx, out, sealed); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM open_calls`); err != nil {
			return fmt.Errorf("pbxstore: empty journal: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// interruptedCDR closes a journal row at end.
func interruptedCDR(r openCallRow, end time.Time) CDR {
	c := CDR{ID: r.ID, Tenant: r.Tenant, ACallID: r.ACallID, Start: r.Start, Answer: r.Answer,
		Disposition: DispositionInterrupted, HangupSide: "system", HangupCause: HangupCrash}
	if end.Before(r.Start) {
		end = r.Start
	}
	if r.Answer.IsZero() {
		c.Ring = end.Sub(r.Start)
	} else {
		if end.Before(r.Answer) {
			end = r.Answer
		}
		c.Ring, c.Talk, c.SIPCode = r.Answer.Sub(r.Start), end.Sub(r.Answer), 200
	}
	c.End = end
	return c
}

type openCallRow struct {
	OpenCall
	n       sealedNumbers
	updated int64
}

func (s *Store) openCallRows(ctx context.Context) ([]openCallRow, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, tenant, caller_enc, caller_idx, callee_enc, callee_idx, a_call_id,
		start_at, answer_at, updated_at FROM open_calls ORDER BY start_at`)
	if err != nil {
		return nil, fmt.Errorf("pbxstore: journal: %w", err)
	}
	defer rows.Close()
	var out []openCallRow
	for rows.Next() {
		var r openCallRow
		var start int64
		var answer sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Tenant, &r.n.callerEnc, &r.n.callerIdx, &r.n.calleeEnc, &r.n.calleeIdx, &r.ACallID,
			&start, &answer, &r.updated); err != nil {
			return nil, fmt.Errorf("pbxstore: journal row: %w", err)
		}
		r.Start = fromMS(start)
		if answer.Valid {
			r.Answer = fromMS(answer.Int64)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}
