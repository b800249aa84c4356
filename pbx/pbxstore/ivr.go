package pbxstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Survey is a post-call satisfaction answer; Score is nil when the caller gave none.
type Survey struct {
	CallID, Tenant, Flow string
	Score                *int
	At                   time.Time
}

// PutSurvey stores (or replaces) a call's survey answer.
func (s *Store) PutSurvey(ctx context.Context, v Survey) error {
	var score sql.NullInt64
	if v.Score != nil {
		score = sql.NullInt64{Int64: int64(*v.Score), Valid: true}
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO call_surveys(call_id, tenant, flow, score, created_at) VALUES (?,?,?,?,?)
		ON CONFLICT(call_id) DO UPDATE SET score=excluded.score, flow=excluded.flow, created_at=excluded.created_at`,
		v.CallID, v.Tenant, v.Flow, score, ms(v.At))
	if err != nil {
		return fmt.Errorf("pbxstore: put survey: %w", err)
	}
	return nil
}

// SurveyOf returns a call's survey answer, if any was asked.
func (s *Store) SurveyOf(ctx context.Context, callID string) (*Survey, error) {
	var v Survey
	var score sql.NullInt64
	var at int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT call_id, tenant, flow, score, created_at FROM call_surveys WHERE call_id=?`, callID).
		Scan(&v.CallID, &v.Tenant, &v.Flow, &score, &at)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pbxstore: survey: %w", err)
	}
	if score.Valid {
		n := int(score.Int64)
		v.Score = &n
	}
	v.At = fromMS(at)
	return &v, nil
}

// VoicemailRow is one stored message.
type VoicemailRow struct {
	ID, Tenant, Mailbox, Caller, Path string
	Duration                          time.Duration
	At                                time.Time
}

// PutVoicemail records a message with the caller's number sealed.
func (s *Store) PutVoicemail(ctx context.Context, v VoicemailRow) error {
	enc, err := s.sealer.Encrypt(ctx, "voicemails", v.ID, "caller", []byte(v.Caller))
	if err != nil {
		return fmt.Errorf("pbxstore: seal voicemail caller: %w", err)
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO voicemails(id, tenant, mailbox, caller_enc, caller_idx, path, duration_ms, created_at) VALUES (?,?,?,?,?,?,?,?)`,
		v.ID, v.Tenant, v.Mailbox, enc, s.sealer.BlindIndex("number", []byte(v.Caller)), v.Path, v.Duration.Milliseconds(), ms(v.At))
	if err != nil {
		return fmt.Errorf("pbxstore: put voicemail: %w", err)
	}
	return nil
}

// Voicemails lists a tenant's messages, newest first.
func (s *Store) Voicemails(ctx context.Context, tenant string, limit int) ([]VoicemailRow, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, tenant, mailbox, caller_enc, path, duration_ms, created_at FROM voicemails WHERE tenant=? ORDER BY created_at DESC LIMIT ?`, tenant, limit)
	if err != nil {
		return nil, fmt.Errorf("pbxstore: voicemails: %w", err)
	}
	defer rows.Close()
	var out []VoicemailRow
	for rows.Next() {
		var v VoicemailRow
		var enc []byte
		var dur, at int64
		if err := rows.Scan(&v.ID, &v.Tenant, &v.Mailbox, &enc, &v.Path, &dur, &at); err != nil {
			return nil, err
		}
		caller, err := s.sealer.Decrypt(ctx, "voicemails", v.ID, "caller", enc)
		if err != nil {
			return nil, fmt.Errorf("pbxstore: open voicemail %s: %w", v.ID, err)
		}
		v.Caller, v.Duration, v.At = string(caller), time.Duration(dur)*time.Millisecond, fromMS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}
