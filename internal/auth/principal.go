package auth

import (
	"context"
	"time"
)

// Kind says how a principal authenticated.
type Kind string

// Principal kinds.
const (
	KindUser  Kind = "user"  // a person with a session
	KindToken Kind = "token" // a machine with an API token
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID             string // user id, or the API token's subject
	Tenant             string
	Name               string // login name, or the API token's name
	Kind               Kind
	Method             string // "password", "password+totp", "sm2+password", "token"
	SessionID          string // short, non-secret fingerprint for audit correlation
	Cookie             bool   // came from the session cookie (so CSRF was checked)
	MustChangePassword bool   // expired or reset password: only a change is allowed
	// SecondFactorDue: an administrator logged in with one factor; only
	// enrolling a second one (and a password change, logout) is allowed.
	SecondFactorDue bool
	ExpiresAt       time.Time
}

// PrincipalID is the id internal/rbac authorizes.
func (p *Principal) PrincipalID() string { return p.UserID }

// PrincipalTenant is the tenant internal/rbac scopes to.
func (p *Principal) PrincipalTenant() string { return p.Tenant }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal Middleware put into ctx.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
