package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

// All of this package's SQL lives here so another dialect can be added.
// Times are Unix milliseconds.

type sqlStore struct{ db *store.DB }

func (s sqlStore) q(ctx context.Context) store.Querier { return s.db.Q(ctx) }

type userRow struct {
	User
	hash         string
	totpSecret   []byte
	totpAlg      string
	totpActive   bool
	totpLastStep int64
	sm2Pub       []byte
}

const userCols = `id, tenant, name, password_hash, password_changed_at, must_change, disabled,
	totp_secret, totp_alg, totp_active, totp_last_step, sm2_public_key, created_at`

func scanUser(row interface{ Scan(...any) error }) (*userRow, error) {
	var u userRow
	var changed, created int64
	err := row.Scan(&u.ID, &u.Tenant, &u.Name, &u.hash, &changed, &u.MustChange, &u.Disabled,
		&u.totpSecret, &u.totpAlg, &u.totpActive, &u.totpLastStep, &u.sm2Pub, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("auth: user: %w", errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read user: %w", err)
	}
	u.PasswordChangedAt = fromMillis(changed)
	u.CreatedAt = fromMillis(created)
	u.TOTP = u.totpActive
	u.HasSM2Key = len(u.sm2Pub) > 0
	return &u, nil
}

func (s sqlStore) userByID(ctx context.Context, id string) (*userRow, error) {
	return scanUser(s.q(ctx).QueryRowContext(ctx, `SELECT `+userCols+` FROM auth_users WHERE id = ?`, id))
}

func (s sqlStore) userByName(ctx context.Context, tenant, name string) (*userRow, error) {
	return scanUser(s.q(ctx).QueryRowContext(ctx, `SELECT `+userCols+` FROM auth_users WHERE tenant = ? AND name = ?`, tenant, name))
}

func (s sqlStore) insertUser(ctx context.Context, u *userRow) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO auth_users(id, tenant, name, password_hash, password_changed_at, must_change, created_at)
		VALUES (?,?,?,?,?,?,?)`, u.ID, u.Tenant, u.Name, u.hash, millis(u.PasswordChangedAt), u.MustChange, millis(u.CreatedAt))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("auth: user %s already exists in tenant %s: %w", u.Name, u.Tenant, errs.ErrConflict)
		}
		return fmt.Errorf("auth: insert user: %w", err)
	}
	return nil
}

func (s sqlStore) setPassword(ctx context.Context, id, hash string, changedAt int64, mustChange bool) error {
	return s.exec1(ctx, `UPDATE auth_users SET password_hash = ?, password_changed_at = ?, must_change = ? WHERE id = ?`, hash, changedAt, mustChange, id)
}

// rehash replaces the hash without touching the password's age.
func (s sqlStore) rehash(ctx context.Context, id, hash string) error {
	return s.exec1(ctx, `UPDATE auth_users SET password_hash = ? WHERE id = ?`, hash, id)
}

func (s sqlStore) setDisabled(ctx context.Context, id string, disabled bool) error {
	return s.exec1(ctx, `UPDATE auth_users SET disabled = ? WHERE id = ?`, disabled, id)
}

func (s sqlStore) setTOTP(ctx context.Context, id string, secret []byte, alg string, active bool) error {
	return s.exec1(ctx, `UPDATE auth_users SET totp_secret = ?, totp_alg = ?, totp_active = ?, totp_last_step = 0 WHERE id = ?`, secret, alg, active, id)
}

func (s sqlStore) activateTOTP(ctx context.Context, id string) error {
	return s.exec1(ctx, `UPDATE auth_users SET totp_active = 1 WHERE id = ? AND totp_secret IS NOT NULL`, id)
}

// useTOTPStep records step as used unless it (or a later one) already was:
// a code is accepted once.
func (s sqlStore) useTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE auth_users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, id, step)
	if err != nil {
		return false, fmt.Errorf("auth: totp step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s sqlStore) setSM2Key(ctx context.Context, id string, pub []byte) error {
	return s.exec1(ctx, `UPDATE auth_users SET sm2_public_key = ? WHERE id = ?`, pub, id)
}

func (s sqlStore) exec1(ctx context.Context, query string, args ...any) error {
	res, err := s.q(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("auth: update: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("auth: %w", errs.ErrNotFound)
	}
	return nil
}

// passwordHistory returns the newest n previous hashes of user id.
func (s sqlStore) passwordHistory(ctx context.Context, id string, n int) ([]string, error) {
	rows, err := s.q(ctx).QueryContext(ctx, `SELECT hash FROM auth_password_history WHERE user_id = ? ORDER BY changed_at DESC, rowid DESC LIMIT ?`, id, n)
	if err != nil {
		return nil, fmt.Errorf("auth: password history: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// pushHistory appends hash and keeps only the newest keep entries.
func (s sqlStore) pushHistory(ctx context.Context, id, hash string, at int64, keep int) error {
	q := s.q(ctx)
	if _, err := q.ExecContext(ctx, `INSERT INTO auth_password_history(user_id, hash, changed_at) VALUES (?,?,?)`, id, hash, at); err != nil {
		return fmt.Errorf("auth: password history: %w", err)
	}
	_, err := q.ExecContext(ctx, `DELETE FROM auth_password_history WHERE user_id = ? AND rowid NOT IN
		(SELECT rowid FROM auth_password_history WHERE user_id = ? ORDER BY changed_at DESC, rowid DESC LIMIT ?)`, id, id, keep)
	if err != nil {
		return fmt.Errorf("auth: trim password history: %w", err)
	}
	return nil
}

// Sessions.

type sessionRow struct {
	userID                        string
	method                        string
	createdAt, lastSeen, expireAt int64
}

func (s sqlStore) insertSession(ctx context.Context, hash []byte, r sessionRow) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO auth_sessions(token_hash, user_id, method, created_at, last_seen, expires_at) VALUES (?,?,?,?,?,?)`,
		hash, r.userID, r.method, r.createdAt, r.lastSeen, r.expireAt)
	if err != nil {
		return fmt.Errorf("auth: insert session: %w", err)
	}
	return nil
}

func (s sqlStore) session(ctx context.Context, hash []byte) (*sessionRow, error) {
	var r sessionRow
	err := s.q(ctx).QueryRowContext(ctx, `SELECT user_id, method, created_at, last_seen, expires_at FROM auth_sessions WHERE token_hash = ?`, hash).
		Scan(&r.userID, &r.method, &r.createdAt, &r.lastSeen, &r.expireAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read session: %w", err)
	}
	return &r, nil
}

func (s sqlStore) touchSession(ctx context.Context, hash []byte, at int64) error {
	_, err := s.q(ctx).ExecContext(ctx, `UPDATE auth_sessions SET last_seen = ? WHERE token_hash = ?`, at, hash)
	return err
}

func (s sqlStore) deleteSession(ctx context.Context, hash []byte) (bool, error) {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM auth_sessions WHERE token_hash = ?`, hash)
	if err != nil {
		return false, fmt.Errorf("auth: delete session: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s sqlStore) deleteUserSessions(ctx context.Context, userID string, except []byte) error {
	if except == nil {
		except = []byte{} // never equal to a stored hash; NULL would match nothing
	}
	_, err := s.q(ctx).ExecContext(ctx, `DELETE FROM auth_sessions WHERE user_id = ? AND token_hash != ?`, userID, except)
	if err != nil {
		return fmt.Errorf("auth: delete sessions: %w", err)
	}
	return nil
}

func (s sqlStore) deleteExpiredSessions(ctx context.Context, now, idleBefore int64) (int64, error) {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM auth_sessions WHERE expires_at <= ? OR last_seen <= ?`, now, idleBefore)
	if err != nil {
		return 0, fmt.Errorf("auth: purge sessions: %w", err)
	}
	return res.RowsAffected()
}

// Failures and lockout.

func (s sqlStore) lockedUntil(ctx context.Context, kind, subject string) (int64, error) {
	var until int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT locked_until FROM auth_failures WHERE kind = ? AND subject = ?`, kind, subject).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("auth: read lockout: %w", err)
	}
	return until, nil
}

// addFailure counts one failure and returns the count in the current window.
// A window older than windowStartAfter starts over.
func (s sqlStore) addFailure(ctx context.Context, kind, subject string, now, windowStartAfter int64) (int, error) {
	var count int
	err := s.q(ctx).QueryRowContext(ctx, `INSERT INTO auth_failures(kind, subject, count, window_start) VALUES (?,?,1,?)
		ON CONFLICT(kind, subject) DO UPDATE SET
			count = CASE WHEN window_start < ? THEN 1 ELSE count + 1 END,
			window_start = CASE WHEN window_start < ? THEN excluded.window_start ELSE window_start END
		RETURNING count`, kind, subject, now, windowStartAfter, windowStartAfter).Scan(&count)
	if err != nil {
		return 0, fmt.Errorf("auth: count failure: %w", err)
	}
	return count, nil
}

func (s sqlStore) lock(ctx context.Context, kind, subject string, until int64) error {
	_, err := s.q(ctx).ExecContext(ctx, `UPDATE auth_failures SET locked_until = ?, count = 0 WHERE kind = ? AND subject = ?`, until, kind, subject)
	return err
}

func (s sqlStore) clearFailures(ctx context.Context, kind, subject string) error {
	_, err := s.q(ctx).ExecContext(ctx, `DELETE FROM auth_failures WHERE kind = ? AND subject = ?`, kind, subject)
	return err
}

// SM2 challenges.

func (s sqlStore) insertChallenge(ctx context.Context, hash []byte, tenant, name string, expires int64) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO auth_challenges(nonce_hash, tenant, name, expires_at) VALUES (?,?,?,?)`, hash, tenant, name, expires)
	if err != nil {
		return fmt.Errorf("auth: insert challenge: %w", err)
	}
	return nil
}

// takeChallenge deletes the challenge and returns it: a nonce is usable once.
func (s sqlStore) takeChallenge(ctx context.Context, hash []byte) (tenant, name string, expires int64, err error) {
	err = s.q(ctx).QueryRowContext(ctx, `DELETE FROM auth_challenges WHERE nonce_hash = ? RETURNING tenant, name, expires_at`, hash).Scan(&tenant, &name, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", 0, errs.ErrNotFound
	}
	if err != nil {
		return "", "", 0, fmt.Errorf("auth: take challenge: %w", err)
	}
	return tenant, name, expires, nil
}

func (s sqlStore) deleteExpiredChallenges(ctx context.Context, now int64) error {
	_, err := s.q(ctx).ExecContext(ctx, `DELETE FROM auth_challenges WHERE expires_at <= ?`, now)
	return err
}

// API tokens.

func (s sqlStore) insertAPIToken(ctx context.Context, t APIToken, hash []byte) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO auth_api_tokens(id, token_hash, tenant, subject, name, created_at, expires_at) VALUES (?,?,?,?,?,?,?)`,
		t.ID, hash, t.Tenant, t.Subject, t.Name, millis(t.CreatedAt), millis(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("auth: insert api token: %w", err)
	}
	return nil
}

func (s sqlStore) apiTokenByHash(ctx context.Context, hash []byte) (*APIToken, error) {
	var t APIToken
	var created, expires, revoked int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT id, tenant, subject, name, created_at, expires_at, revoked_at FROM auth_api_tokens WHERE token_hash = ?`, hash).
		Scan(&t.ID, &t.Tenant, &t.Subject, &t.Name, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read api token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt = fromMillis(created), fromMillis(expires)
	t.Revoked = revoked != 0
	return &t, nil
}

func (s sqlStore) revokeAPIToken(ctx context.Context, id string, at int64) error {
	return s.exec1(ctx, `UPDATE auth_api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, at, id)
}

func (s sqlStore) touchAPIToken(ctx context.Context, id string, at int64) error {
	_, err := s.q(ctx).ExecContext(ctx, `UPDATE auth_api_tokens SET last_used = ? WHERE id = ?`, at, id)
	return err
}
