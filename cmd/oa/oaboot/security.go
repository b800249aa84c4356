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
	signPath := cfg.Admin.AuditSigningKey
	if signPath == "" {
		signPath = filepath.Join(cfg.DataDir, "oa-audit-signing.key")
	}
	return adminapi.Open(ctx, cfg.Admin, adminapi.OpenOptions{SigningKeyFile: signPath, CookieSecure: cfg.HTTP.TLSCert != "",
		PlatformTenant: cfg.PlatformTenantName(), Tenants: cfg.Tenants}, db, km, log)
}

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
