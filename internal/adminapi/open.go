package adminapi

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/store"
)

// OpenOptions are what a process adds to its admin configuration.
type OpenOptions struct {
	// SigningKeyFile holds the SM2 key signing the audit chain's heads,
	// created (0600, its public key beside it) on first run.
	SigningKeyFile string
	CookieSecure   bool // sessions' cookies only over TLS
	PlatformTenant string
	Tenants        []string // each gets the built-in roles
	// RBACAlarm hears rbac's integrity alarms (tampered role rows); Alarm
	// the admin API's. Both optional.
	RBACAlarm func(context.Context, rbac.Alarm)
	Alarm     func(ctx context.Context, kind, detail string)
}

// Open opens the security services every process with an admin API runs on
// its own database, the PBX and the OA alike: the audit log, users and
// sessions (administrators log in with two factors unless
// admin.second_factor says everyone must), and roles seeded per tenant.
func Open(ctx context.Context, a config.Admin, o OpenOptions, db *store.DB, km *keys.Manager, log *slog.Logger) (*Security, error) {
	signer, err := keys.LoadOrCreateSigningKey(o.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("admin.audit_signing_key: %w", err)
	}
	auditRing, err := km.Keyring(ctx, "audit")
	if err != nil {
		return nil, err
	}
	alog, err := audit.New(ctx, audit.Config{SignEvery: a.AuditSignEvery, SignInterval: a.AuditSignInterval},
		audit.Deps{DB: db, Keys: auditRing, Signer: signer, Log: log.With("part", "audit")})
	if err != nil {
		return nil, err
	}
	totpRing, err := km.Keyring(ctx, "auth.totp")
	if err != nil {
		return nil, err
	}
	// auth asks who must log in with two factors; rbac knows (and imports
	// auth, so the answer is wired here). roles is set below, before any
	// login can happen.
	var roles *rbac.Service
	authn, err := auth.New(ctx, auth.Config{
		Iterations: a.PasswordIterations, MaxPasswordAge: a.MaxPasswordAge, MaxFailures: a.MaxFailures, AccountMaxFailures: a.AccountMaxFailures,
		LockoutDuration: a.LockoutDuration, IdleTimeout: a.IdleTimeout, SessionLifetime: a.SessionLifetime, CookieSecure: o.CookieSecure,
	}, auth.Deps{DB: db, Secrets: totpRing, Audit: alog, Log: log.With("part", "auth"),
		SecondFactorRequired: func(ctx context.Context, userID, tenant string) (bool, error) {
			if a.SecondFactor == config.SecondFactorEveryone {
				return true, nil
			}
			return holdsAdminRole(ctx, roles, userID, tenant)
		}})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	tagRing, err := km.Keyring(ctx, "rbac.tag")
	if err != nil {
		return nil, err
	}
	if roles, err = rbac.New(ctx, rbac.Deps{DB: db, Keys: tagRing, Audit: alog, Log: log.With("part", "rbac"), Alarm: o.RBACAlarm}); err != nil {
		return nil, err
	}
	for _, t := range o.Tenants {
		if err := roles.SeedTenant(ctx, t); err != nil {
			return nil, err
		}
	}
	return &Security{Auth: authn, RBAC: roles, Audit: alog, PlatformTenant: o.PlatformTenant, Alarm: o.Alarm}, nil
}

// holdsAdminRole reports whether userID holds one of the three
// administrators' roles in tenant.
func holdsAdminRole(ctx context.Context, roles *rbac.Service, userID, tenant string) (bool, error) {
	held, err := roles.Roles(ctx, userID, tenant)
	if err != nil {
		return false, err
	}
	for _, h := range held {
		if rbac.IsAdminRole(h.Role) {
			return true, nil
		}
	}
	return false, nil
}
