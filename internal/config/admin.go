package config

import (
	"crypto/tls"
	"time"
)

// Admin configures who may use the admin API and how it is recorded. Zero
// values take the defaults of GB/T 22239 level 3 (see docs/security.md).
type Admin struct {
	// PlatformTenant holds the platform's administrators; its principals act
	// on every tenant. Default: the first tenant.
	PlatformTenant string `yaml:"platform_tenant"`
	// BootstrapFile receives the generated passwords of the three separated
	// administrators on first run (mode 0600). Default:
	// <data_dir>/demo-admins.txt in demo mode, <data_dir>/initial-admins.txt otherwise.
	BootstrapFile string `yaml:"bootstrap_file"`
	// TenantAdmins also creates sysadmin, secadmin and auditor in every
	// other tenant on first run, so each tenant can manage its own roles.
	TenantAdmins       bool          `yaml:"tenant_admins"`
	PasswordIterations int           `yaml:"password_iterations"` // PBKDF2-HMAC-SM3 cost; 0: about 100 ms
	MaxPasswordAge     time.Duration `yaml:"max_password_age"`    // 0: 90 days
	MaxFailures        int           `yaml:"max_failures"`        // 0: 5; locks an address, or an account from one address
	// AccountMaxFailures failures from any addresses lock the account for
	// everyone (0: 4 × max_failures); a stranger's few guesses only lock
	// the stranger out.
	AccountMaxFailures int           `yaml:"account_max_failures"`
	LockoutDuration    time.Duration `yaml:"lockout_duration"` // 0: 15 min
	IdleTimeout        time.Duration `yaml:"idle_timeout"`     // 0: 30 min
	SessionLifetime    time.Duration `yaml:"session_lifetime"` // 0: 12 h
	// SecondFactor says who must log in with two factors: "administrators"
	// (the default, and the floor: sysadmin, secadmin, auditor) or
	// "everyone". It can only be made stricter.
	SecondFactor string `yaml:"second_factor"`
	// AuditSigningKey is the SM2 private key (PEM, mode 0600) that signs the
	// audit chain head. Default <data_dir>/audit-signing.key, generated with
	// its .pub on first run when missing.
	AuditSigningKey string `yaml:"audit_signing_key"`
	// SSOSigningKey is the SM2 private key (PEM, mode 0600) signing the
	// one-login tokens the OA accepts (POST /api/v1/sso/token). Default
	// <data_dir>/sso-signing.key, generated with its .pub (the OA's
	// sso.pbx_public_key) on first run when missing.
	SSOSigningKey     string        `yaml:"sso_signing_key"`
	AuditSignEvery    int           `yaml:"audit_sign_every"`    // rows between head signatures; 0: 100
	AuditSignInterval time.Duration `yaml:"audit_sign_interval"` // longest unsigned stretch; 0: 5 min
}

// Values of Admin.SecondFactor.
const (
	SecondFactorAdministrators = "administrators"
	SecondFactorEveryone       = "everyone"
)

// validateAdmin checks the admin section and the HTTP API's TLS files.
func (c *Config) validateAdmin(tenants map[string]bool, bad func(key, format string, a ...any)) {
	a := c.Admin
	if a.PlatformTenant != "" && !tenants[a.PlatformTenant] {
		bad("admin.platform_tenant", "no tenant %q", a.PlatformTenant)
	}
	if a.PasswordIterations != 0 && a.PasswordIterations < 1000 {
		bad("admin.password_iterations", "must be 0 (default) or at least 1000")
	}
	if a.AccountMaxFailures < 0 || (a.AccountMaxFailures > 0 && a.AccountMaxFailures < a.MaxFailures) {
		bad("admin.account_max_failures", "must not be negative nor below max_failures")
	}
	if a.MaxFailures < 0 || a.AuditSignEvery < 0 {
		bad("admin.max_failures", "max_failures and audit_sign_every must not be negative")
	}
	for key, d := range map[string]time.Duration{
		"admin.max_password_age": a.MaxPasswordAge, "admin.lockout_duration": a.LockoutDuration, "admin.idle_timeout": a.IdleTimeout,
		"admin.session_lifetime": a.SessionLifetime, "admin.audit_sign_interval": a.AuditSignInterval,
	} {
		if d < 0 {
			bad(key, "must not be negative")
		}
	}
	if a.SecondFactor != "" && a.SecondFactor != SecondFactorAdministrators && a.SecondFactor != SecondFactorEveryone {
		bad("admin.second_factor", "must be %q (default) or %q; administrators always need two factors", SecondFactorAdministrators, SecondFactorEveryone)
	}
	if a.IdleTimeout > 0 && a.SessionLifetime > 0 && a.IdleTimeout > a.SessionLifetime {
		bad("admin.idle_timeout", "must not exceed session_lifetime")
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http.tls_cert", "tls_cert and tls_key go together")
	} else if c.HTTP.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.HTTP.TLSCert, c.HTTP.TLSKey); err != nil {
			bad("http.tls_cert", "%v", err)
		}
	}
}

// PlatformTenantName is Admin.PlatformTenant or, when unset, the first tenant.
func (c Config) PlatformTenantName() string {
	if c.Admin.PlatformTenant != "" || len(c.Tenants) == 0 {
		return c.Admin.PlatformTenant
	}
	return c.Tenants[0].Name
}
