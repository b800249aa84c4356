package boot

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/store"
	"go.yaml.in/yaml/v3"
)

// Security is the assembled security platform of a PBX process: users and
// sessions, roles, the audit log and its signing key, and the
// administrators created on first run.
type Security struct {
	Platform       *adminapi.Security
	Admins         []AdminCredential // created on this start; passwords shown once
	BootstrapFile  string            // where Admins were written (mode 0600)
	SigningKeyFile string            // SM2 key signing the audit chain head; its public key is beside it (.pub)
	alarms         *prometheus.CounterVec
	log            *slog.Logger
}

// AdminCredential is one generated administrator account.
type AdminCredential struct {
	Tenant, Name, Role, Password string
}

// buildSecurity opens the auth, rbac and audit services on db, creates the
// three separated administrators on first run and gives the break-glass
// token (when one is configured) the platform's sysadmin role.
func buildSecurity(ctx context.Context, cfg config.Config, db *store.DB, km *keys.Manager, breakGlass string, log *slog.Logger) (*Security, error) {
	log = log.With("component", "security")
	sec := &Security{log: log, alarms: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "yimen_security_alarms_total", Help: "Integrity alarms: tampered role rows, broken audit chain.",
	}, []string{"kind"})}
	a := cfg.Admin
	platform := cfg.PlatformTenantName()
	if platform == "" {
		return nil, fmt.Errorf("admin.platform_tenant: no tenant configured: %w", errs.ErrInvalid)
	}

	sec.SigningKeyFile = a.AuditSigningKey
	if sec.SigningKeyFile == "" {
		sec.SigningKeyFile = filepath.Join(cfg.DataDir, "audit-signing.key")
	}
	names := make([]string, 0, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		names = append(names, t.Name)
	}
	var err error
	sec.Platform, err = adminapi.Open(ctx, a, adminapi.OpenOptions{SigningKeyFile: sec.SigningKeyFile, CookieSecure: cfg.HTTP.TLSCert != "",
		PlatformTenant: platform, Tenants: names, Alarm: sec.alarm,
		RBACAlarm: func(ctx context.Context, al rbac.Alarm) { sec.alarms.WithLabelValues("rbac_integrity").Inc() }}, db, km, log)
	if err != nil {
		return nil, err
	}
	if err := sec.breakGlass(ctx, platform, breakGlass != ""); err != nil {
		return nil, err
	}
	tenants := []string{platform}
	if a.TenantAdmins {
		for _, t := range cfg.Tenants {
			if t.Name != platform {
				tenants = append(tenants, t.Name)
			}
		}
	}
	for _, t := range tenants {
		created, err := sec.bootstrapAdmins(ctx, t, !cfg.Demo.Enabled)
		if err != nil {
			return nil, err
		}
		sec.Admins = append(sec.Admins, created...)
		if cfg.Demo.Enabled && t == platform && len(created) > 0 {
			op, err := sec.bootstrapOperator(ctx, t)
			if err != nil {
				return nil, err
			}
			sec.Admins = append(sec.Admins, op)
		}
	}
	if len(sec.Admins) > 0 {
		sec.BootstrapFile = a.BootstrapFile
		if sec.BootstrapFile == "" {
			name := "initial-admins.txt"
			if cfg.Demo.Enabled {
				name = "demo-admins.txt"
			}
			sec.BootstrapFile = filepath.Join(cfg.DataDir, name)
		}
		if err := writeAdminsFile(sec.BootstrapFile, sec.Admins); err != nil {
			return nil, fmt.Errorf("admin.bootstrap_file: %w", err)
		}
	}
	sec.recordStart(ctx, cfg)
	sec.verify(ctx)
	return sec, nil
}

// register adds the alarm counter to the PBX's metrics.
func (sec *Security) register(reg prometheus.Registerer) { reg.MustRegister(sec.alarms) }

func (sec *Security) alarm(ctx context.Context, kind, detail string) {
	sec.alarms.WithLabelValues(kind).Inc()
	sec.log.ErrorContext(ctx, "security alarm", "kind", kind, "detail", detail)
}

// breakGlass keeps the static admin token's role in step with the
// configuration: sysadmin in the platform tenant while a token is set,
// nothing once it is removed.
func (sec *Security) breakGlass(ctx context.Context, platform string, configured bool) error {
	roles := sec.Platform.RBAC
	held, err := roles.Roles(ctx, adminapi.BreakGlassSubject, platform)
	if err != nil {
		return err
	}
	has := len(held) > 0
	switch {
	case configured && !has:
		return roles.AssignRole(ctx, nil, adminapi.BreakGlassSubject, platform, rbac.RoleSysAdmin, rbac.Binding{})
	case !configured && has:
		for _, h := range held {
			if err := roles.RevokeRole(ctx, nil, adminapi.BreakGlassSubject, platform, h.Role); err != nil {
				return err
			}
		}
	}
	return nil
}

// bootstrapAdmins creates sysadmin, secadmin and auditor in tenant unless
// the tenant's sysadmin exists already. mustChange makes them change the
// generated password at first login (everywhere but the demo).
func (sec *Security) bootstrapAdmins(ctx context.Context, tenant string, mustChange bool) ([]AdminCredential, error) {
	_, err := sec.Platform.Auth.FindUser(ctx, tenant, rbac.RoleSysAdmin)
	if err == nil {
		return nil, nil
	}
	if !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	var out []AdminCredential
	for _, role := range rbac.AdminRoles() {
		pw := adminapi.NewPassword(role)
		u, err := sec.Platform.Auth.CreateUser(ctx, auth.NewUser{Tenant: tenant, Name: role, Password: pw, MustChange: mustChange})
		if err != nil {
			return nil, fmt.Errorf("bootstrap %s/%s: %w", tenant, role, err)
		}
		if err := sec.Platform.RBAC.AssignRole(ctx, nil, u.ID, tenant, role, rbac.Binding{}); err != nil {
			return nil, fmt.Errorf("bootstrap %s/%s: %w", tenant, role, err)
		}
		out = append(out, AdminCredential{Tenant: tenant, Name: role, Role: role, Password: pw})
	}
	sec.log.Info("administrators created", "tenant", tenant, "users", len(out))
	return out, nil
}

// demoOperatorGrants are the business reads the demo's operator gets
// tenant-wide: under the separation of duties none of the administrators
// reads call records or recordings.
var demoOperatorGrants = []string{rbac.PermCDRRead, rbac.PermCallMonitor, rbac.PermRecordingRead, rbac.PermQAScoreWrite}

// bootstrapOperator creates the demo's business user "operator" with a role
// of the same name holding demoOperatorGrants.
func (sec *Security) bootstrapOperator(ctx context.Context, tenant string) (AdminCredential, error) {
	const name = "operator"
	for _, perm := range demoOperatorGrants {
		if err := sec.Platform.RBAC.GrantPermission(ctx, nil, tenant, name, perm, rbac.ScopeTenant); err != nil && !errors.Is(err, errs.ErrConflict) {
			return AdminCredential{}, err
		}
	}
	pw := adminapi.NewPassword(name)
	u, err := sec.Platform.Auth.CreateUser(ctx, auth.NewUser{Tenant: tenant, Name: name, Password: pw})
	if err != nil {
		return AdminCredential{}, fmt.Errorf("bootstrap %s/%s: %w", tenant, name, err)
	}
	if err := sec.Platform.RBAC.AssignRole(ctx, nil, u.ID, tenant, name, rbac.Binding{}); err != nil {
		return AdminCredential{}, err
	}
	return AdminCredential{Tenant: tenant, Name: name, Role: name, Password: pw}, nil
}

// recordStart audits the configuration this process runs with by its SM3
// digest, so an auditor sees every configuration change between starts.
func (sec *Security) recordStart(ctx context.Context, cfg config.Config) {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		sec.log.Error("config digest", "err", err)
		return
	}
	d := gm.SM3(b)
	if _, err := sec.Platform.Audit.Append(ctx, audit.Entry{Actor: "system", Action: "config.load", Target: "pbx",
		Outcome: audit.OutcomeOK, Detail: "sm3 " + hex.EncodeToString(d[:])}); err != nil {
		sec.log.Error("audit append failed", "action", "config.load", "err", err)
	}
}

// verify checks every role row's tag and the audit chain; failures raise
// alarms (and rbac denies on the bad rows whenever they are relied on).
func (sec *Security) verify(ctx context.Context) {
	if bad, err := sec.Platform.RBAC.Verify(ctx); err != nil {
		sec.log.Error("rbac verify", "err", err)
	} else if len(bad) > 0 {
		sec.log.Error("rbac rows failed their integrity tag", "rows", len(bad), "first", bad[0].String())
	}
	rep, err := sec.Platform.Audit.Verify(ctx)
	if err != nil {
		sec.log.Error("audit verify", "err", err)
		return
	}
	if !rep.OK {
		sec.alarm(ctx, "audit_chain", fmt.Sprintf("audit chain broken at row %d: %s", rep.BrokenRow, rep.Reason))
	}
}

// Run signs a quiet audit log's head, purges expired sessions and
// re-verifies integrity now and then, until ctx ends.
func (sec *Security) Run(ctx context.Context) {
	sign := time.NewTicker(time.Minute)
	defer sign.Stop()
	check := time.NewTicker(time.Hour)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sign.C:
			if err := sec.Platform.Audit.SignHead(ctx); err != nil {
				sec.log.Error("audit sign head", "err", err)
			}
			if _, err := sec.Platform.Auth.PurgeExpired(ctx); err != nil {
				sec.log.Error("purge sessions", "err", err)
			}
		case <-check.C:
			sec.verify(ctx)
		}
	}
}

// Close signs the audit chain's head, so a clean stop leaves no unsigned
// tail (whose truncation verify could not detect).
func (sec *Security) Close() {
	if err := sec.Platform.Audit.SignHead(context.Background()); err != nil {
		sec.log.Error("audit sign head", "err", err)
	}
}

// writeAdminsFile writes "TENANT NAME PASSWORD" lines (mode 0600), replacing
// an older file: the accounts it named are gone when these were created.
func writeAdminsFile(path string, admins []AdminCredential) error {
	var b bytes.Buffer
	b.WriteString("# yimen administrators created on first run: TENANT NAME PASSWORD (change them after login)\n")
	for _, a := range admins {
		fmt.Fprintf(&b, "%s %s %s\n", a.Tenant, a.Name, a.Password)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	_ = os.Remove(path)
	return keys.WritePrivateFile(path, b.Bytes())
}

// printSecurityWelcome tells the operator how to log in.
func printSecurityWelcome(w io.Writer, p *PBX) {
	sec := p.Security
	if sec == nil {
		return
	}
	fmt.Fprintf(w, "  Admin API: %s://%s/api/v1/login  (docs/security.md)\n", p.HTTP.Scheme(), p.HTTPAddr())
	if len(sec.Admins) > 0 && p.Config.Demo.Enabled {
		fmt.Fprintf(w, "\n  Admin API users (sysadmin 系统管理员, secadmin 安全管理员, auditor 审计管理员; operator reads\n  calls, CDRs and recordings), also written to %s; shown once:\n", sec.BootstrapFile)
		for _, a := range sec.Admins {
			fmt.Fprintf(w, "    %-8s %-9s %s\n", a.Tenant, a.Name, a.Password)
		}
		fmt.Fprintf(w, "  The three administrators log in with two factors: at first login enrol TOTP\n  (POST /api/v1/totp, then /api/v1/totp/confirm) and log in again with the code (README, Admin API).\n")
	} else if len(sec.Admins) > 0 {
		fmt.Fprintf(w, "  Administrators created; their one-time passwords are in %s (mode 0600).\n  At first login each changes it and enrols a second factor (docs/security.md, Logging in)\n", sec.BootstrapFile)
	}
	fmt.Fprintf(w, "  Audit chain signing key: %s (public key %s.pub)\n", sec.SigningKeyFile, sec.SigningKeyFile)
}
