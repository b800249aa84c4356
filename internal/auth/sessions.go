package auth

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

const (
	sessionPrefix = "yms_"
	tokenPrefix   = "ymt_"
	tokenBytes    = 32 // 256 bits
)

// Session is what a successful login returns. Token is shown once and is
// stored only as its SM3 hash.
type Session struct {
	Token              string
	CSRF               string
	UserID             string
	Tenant             string
	Name               string
	Method             string
	ExpiresAt          time.Time // absolute end, whatever the activity
	MustChangePassword bool
	SecondFactorDue    bool // see Principal.SecondFactorDue
}

func newToken(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(gm.RandomBytes(tokenBytes))
}

func tokenHash(token string) []byte {
	h := gm.SM3([]byte(token))
	return h[:]
}

// fingerprint is a short, non-secret id for a token: enough to correlate
// audit rows, useless for authentication.
func fingerprint(hash []byte) string { return hex.EncodeToString(hash[:6]) }

// CSRFToken returns the CSRF token bound to a session token. It is a
// synchronizer token kept by no one: HMAC-SM3 keyed by the session token, so
// only a page that was handed it at login (or from SessionHandler) can send
// it, a cross-site form cannot read or compute it, and it changes with every
// new session.
func CSRFToken(sessionToken string) string {
	return base64.RawURLEncoding.EncodeToString(gm.HMACSM3([]byte(sessionToken), []byte("yimen csrf v1")))
}

// CheckCSRF reports whether got is the CSRF token of sessionToken.
func CheckCSRF(sessionToken, got string) bool {
	return got != "" && gm.HMACSM3Equal([]byte(CSRFToken(sessionToken)), []byte(got))
}

// newSession always mints a fresh server-side token (a client-chosen value is
// never adopted) and revokes the one the client presented, so a token
// planted before login is worthless after it.
func (s *Service) newSession(ctx context.Context, u *userRow, method, previous string) (*Session, error) {
	now := s.now()
	token := newToken(sessionPrefix)
	h := tokenHash(token)
	expires := now.Add(s.cfg.SessionLifetime)
	err := s.st.db.InTx(ctx, func(ctx context.Context) error {
		if previous != "" {
			if _, err := s.st.deleteSession(ctx, tokenHash(previous)); err != nil {
				return err
			}
		}
		return s.st.insertSession(ctx, h, sessionRow{userID: u.ID, method: method, createdAt: millis(now), lastSeen: millis(now), expireAt: millis(expires)})
	})
	if err != nil {
		return nil, err
	}
	due, err := s.secondFactorDue(ctx, u, method)
	if err != nil {
		return nil, err
	}
	return &Session{
		Token: token, CSRF: CSRFToken(token), UserID: u.ID, Tenant: u.Tenant, Name: u.Name, Method: method,
		ExpiresAt: expires, MustChangePassword: s.mustChange(u, now), SecondFactorDue: due,
	}, nil
}

func (s *Service) mustChange(u *userRow, now time.Time) bool {
	return u.MustChange || now.Sub(u.PasswordChangedAt) > s.cfg.MaxPasswordAge
}

// Authenticate resolves a session token to its principal, ending the session
// if it has been idle for IdleTimeout or has reached its absolute lifetime.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, sessionPrefix) || len(token) > 128 {
		return nil, ErrSessionInvalid
	}
	h := tokenHash(token)
	row, err := s.st.session(ctx, h)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, ErrSessionInvalid
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	nowMs := millis(now)
	idle := nowMs-row.lastSeen >= s.cfg.IdleTimeout.Milliseconds()
	if idle || nowMs >= row.expireAt {
		if _, err := s.st.deleteSession(ctx, h); err != nil {
			return nil, err
		}
		detail := "absolute lifetime"
		if idle {
			detail = "idle timeout"
		}
		s.record(ctx, audit.Entry{Actor: row.userID, Action: "auth.session.expire", Target: fingerprint(h), Outcome: audit.OutcomeOK, Detail: detail})
		return nil, ErrSessionInvalid
	}
	u, err := s.st.userByID(ctx, row.userID)
	if err != nil || u.Disabled {
		s.st.deleteSession(ctx, h)
		return nil, ErrSessionInvalid
	}
	// Touch at most every IdleTimeout/60 so a busy session is not a write
	// per request; idle expiry is then exact to within that step.
	if nowMs-row.lastSeen >= (s.cfg.IdleTimeout / 60).Milliseconds() {
		if err := s.st.touchSession(ctx, h, nowMs); err != nil {
			return nil, err
		}
	}
	// Asked on every request, not only at login: a role given after the
	// session started restricts it at once.
	due, err := s.secondFactorDue(ctx, u, row.method)
	if err != nil {
		return nil, err
	}
	return &Principal{
		UserID: u.ID, Tenant: u.Tenant, Name: u.Name, Kind: KindUser, Method: row.method,
		SessionID: fingerprint(h), MustChangePassword: s.mustChange(u, now), SecondFactorDue: due, ExpiresAt: fromMillis(row.expireAt),
	}, nil
}

// Logout ends the session of token. Ending an unknown session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := tokenHash(token)
	row, _ := s.st.session(ctx, h)
	ok, err := s.st.deleteSession(ctx, h)
	if err != nil {
		return err
	}
	if ok && row != nil {
		s.record(ctx, audit.Entry{Actor: row.userID, Action: "auth.logout", Target: fingerprint(h), Outcome: audit.OutcomeOK})
	}
	return nil
}

// PurgeExpired deletes expired sessions and SM2 challenges; run it now and
// then (expired sessions are also refused and deleted on use).
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	now := s.now()
	n, err := s.st.deleteExpiredSessions(ctx, millis(now), millis(now.Add(-s.cfg.IdleTimeout)))
	if err != nil {
		return 0, err
	}
	return n, s.st.deleteExpiredChallenges(ctx, millis(now))
}
