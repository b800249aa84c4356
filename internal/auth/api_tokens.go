package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// APIToken describes a machine credential (the CTI system, an admin API
// client). The token itself is shown once at creation and stored as its
// SM3 hash: it is 256 random bits, so a slow hash would add nothing.
type APIToken struct {
	ID        string
	Tenant    string
	Subject   string // the principal id rbac authorizes, e.g. "svc:cti"
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: no expiry
	Revoked   bool
}

// CreateAPIToken mints a token for subject in tenant; ttl 0 means no expiry.
func (s *Service) CreateAPIToken(ctx context.Context, tenant, subject, name string, ttl time.Duration) (string, APIToken, error) {
	if tenant == "" || subject == "" {
		return "", APIToken{}, fmt.Errorf("auth: API token needs tenant and subject: %w", errs.ErrInvalid)
	}
	now := s.now()
	t := APIToken{ID: "t" + hex.EncodeToString(gm.RandomBytes(8)), Tenant: tenant, Subject: subject, Name: name, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	token := newToken(tokenPrefix)
	if err := s.st.insertAPIToken(ctx, t, tokenHash(token)); err != nil {
		return "", APIToken{}, err
	}
	s.record(ctx, audit.Entry{Tenant: tenant, Actor: actorFrom(ctx), Action: "auth.token.create", Target: t.ID, Outcome: audit.OutcomeOK, Detail: subject})
	return token, t, nil
}

// RevokeAPIToken makes a token unusable at once.
func (s *Service) RevokeAPIToken(ctx context.Context, id string) error {
	if err := s.st.revokeAPIToken(ctx, id, millis(s.now())); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Actor: actorFrom(ctx), Action: "auth.token.revoke", Target: id, Outcome: audit.OutcomeOK})
	return nil
}

// AuthenticateToken resolves an API token to its principal.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return nil, errTokenInvalid
	}
	t, err := s.st.apiTokenByHash(ctx, tokenHash(token))
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if t.Revoked || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, errTokenInvalid
	}
	if err := s.st.touchAPIToken(ctx, t.ID, millis(now)); err != nil {
		s.log.WarnContext(ctx, "auth: touch token", "token", t.ID, "err", err)
	}
	return &Principal{UserID: t.Subject, Tenant: t.Tenant, Name: t.Name, Kind: KindToken, Method: "token", SessionID: t.ID, ExpiresAt: t.ExpiresAt}, nil
}
