package oaboot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/store"
)

// Credential is an account created on this start; its password is shown once.
type Credential struct {
	Tenant, Name, Role, Password string
}

// buildSecurity opens auth, rbac and the audit log on the OA's database,
// the same services the PBX runs on its own.
func buildSecurity(ctx context.Context, cfg config.OA, db *store.DB, km *keys.Manager, log *slog.Logger) (*adminapi.Security, error) {
	a := cfg.Admin
	signPath := a.AuditSigningKey
	if signPath == "" {
		signPath = filepath.Join(cfg.DataDir, "oa-audit-signing.key")
	}
	signer, err := keys.LoadOrCreateSigningKey(signPath)
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
	var roles *rbac.Service
	authn, err := auth.New(ctx, auth.Config{
		Iterations: a.PasswordIterations, MaxPasswordAge: a.MaxPasswordAge, MaxFailures: a.MaxFailures, AccountMaxFailures: a.AccountMaxFailures,
		LockoutDuration: a.LockoutDuration, IdleTimeout: a.IdleTimeout, SessionLifetime: a.SessionLifetime, CookieSecure: cfg.HTTP.TLSCert != "",
	}, auth.Deps{DB: db, Secrets: totpRing, Audit: alog, Log: log.With("part", "auth"),
		// The three administrators log in with two factors here as on the PBX.
		SecondFactorRequired: func(ctx context.Context, userID, tenant string) (bool, error) {
			if a.SecondFactor == config.SecondFactorEveryone {
				return true, nil
			}
			held, err := roles.Roles(ctx, userID, tenant)
			for _, h := range held {
				if rbac.IsAdminRole(h.Role) {
					return true, err
				}
			}
			return false, err
		}})
	if err != nil {
		return nil, err
	}
	tagRing, err := km.Keyring(ctx, "rbac.tag")
	if err != nil {
		return nil, err
	}
	if roles, err = rbac.New(ctx, rbac.Deps{DB: db, Keys: tagRing, Audit: alog, Log: log.With("part", "rbac")}); err != nil {
		return nil, err
	}
	for _, t := range cfg.Tenants {
		if err := roles.SeedTenant(ctx, t); err != nil {
			return nil, err
		}
	}
	return &adminapi.Security{Auth: authn, RBAC: roles, Audit: alog, PlatformTenant: cfg.PlatformTenantName()}, nil
}

// signingKey reads the SM2 key signing the audit chain, creating it (0600)
// with its public key beside it (.pub) on first run.
// bootstrap creates the three separated administrators in the platform
// tenant on first run (they must change the generated password outside
// the demo), and in the demo a business user of each OA role.
func bootstrap(ctx context.Context, cfg config.OA, sec *adminapi.Security) ([]Credential, error) {
	tenant := cfg.PlatformTenantName()
	if _, err := sec.Auth.FindUser(ctx, tenant, rbac.RoleSysAdmin); err == nil {
		return nil, nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	var out []Credential
	for _, role := range rbac.AdminRoles() {
		c, err := createUser(ctx, sec, tenant, role, role, rbac.Binding{}, !cfg.Demo.Enabled)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if !cfg.Demo.Enabled {
		return out, nil
	}
	for _, u := range demoUsers {
		c, err := createUser(ctx, sec, tenant, u.name, u.role, rbac.Binding{Agent: u.agent}, false)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func createUser(ctx context.Context, sec *adminapi.Security, tenant, name, role string, b rbac.Binding, mustChange bool) (Credential, error) {
	pw := adminapi.NewPassword(name)
	u, err := sec.Auth.CreateUser(ctx, auth.NewUser{Tenant: tenant, Name: name, Password: pw, MustChange: mustChange})
	if err != nil {
		return Credential{}, fmt.Errorf("bootstrap %s/%s: %w", tenant, name, err)
	}
	if err := sec.RBAC.AssignRole(ctx, nil, u.ID, tenant, role, b); err != nil {
		return Credential{}, fmt.Errorf("bootstrap %s/%s: %w", tenant, name, err)
	}
	return Credential{Tenant: tenant, Name: name, Role: role, Password: pw}, nil
}

// writeCredentials writes "TENANT NAME ROLE PASSWORD" lines (mode 0600).
func writeCredentials(path string, list []Credential) error {
	var b bytes.Buffer
	b.WriteString("# yimen OA accounts created on first run: TENANT NAME ROLE PASSWORD\n")
	for _, c := range list {
		fmt.Fprintf(&b, "%s %s %s %s\n", c.Tenant, c.Name, c.Role, c.Password)
	}
	_ = os.Remove(path)
	return keys.WritePrivateFile(path, b.Bytes())
}
