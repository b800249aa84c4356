package auth

import (
	"context"
	"embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Sealer encrypts small secrets at rest (TOTP seeds); *keys.Keyring for
// "auth.totp" implements it.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Auditor records security events; *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (int64, error)
}

// Deps are the Service's collaborators.
type Deps struct {
	DB      *store.DB
	Secrets Sealer  // required for TOTP
	Audit   Auditor // optional; events are only logged without it
	Log     *slog.Logger
	// SecondFactorRequired reports whether a user must log in with two
	// factors (the administrators); nil: no one must. A one-factor session
	// of such a user is restricted to enrolling one (second_factor.go).
	SecondFactorRequired func(ctx context.Context, userID, tenant string) (bool, error)
}

// Service authenticates users, sessions and API tokens.
type Service struct {
	cfg   Config
	st    sqlStore
	seal  Sealer
	audit Auditor
	log   *slog.Logger
	dummy string // hash verified for unknown users so they cost the same
	// needs2FA is Deps.SecondFactorRequired.
	needs2FA func(ctx context.Context, userID, tenant string) (bool, error)
}

// New migrates the auth tables and returns a Service.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if d.DB == nil {
		return nil, fmt.Errorf("auth: no database: %w", errs.ErrInvalid)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if err := d.DB.Migrate(ctx, "auth", migrationFiles); err != nil {
		return nil, err
	}
	return &Service{
		cfg: c, st: sqlStore{d.DB}, seal: d.Secrets, audit: d.Audit, log: d.Log, needs2FA: d.SecondFactorRequired,
		dummy: HashPassword(hex.EncodeToString(gm.RandomBytes(16)), c.Iterations),
	}, nil
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.cfg.Now() }

// record writes an audit entry and a log line; an audit failure is logged,
// never returned, so a full disk does not lock everyone out (the audit
// package raises its own alarm).
func (s *Service) record(ctx context.Context, e audit.Entry) {
	e.Time = s.now()
	lvl := slog.LevelInfo
	if e.Outcome != audit.OutcomeOK {
		lvl = slog.LevelWarn
	}
	s.log.Log(ctx, lvl, "auth event", "action", e.Action, "outcome", e.Outcome, "tenant", e.Tenant,
		"actor", e.Actor, "target", e.Target, "source", e.Source, "detail", e.Detail)
	if s.audit == nil {
		return
	}
	if _, err := s.audit.Append(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", e.Action, "err", err)
	}
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
