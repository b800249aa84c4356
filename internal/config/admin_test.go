package config

import (
	"strings"
	"testing"
	"time"
)

func TestAdminSectionParsesAndDefaultsThePlatformTenant(t *testing.T) {
	cfg, err := Parse("demo.yaml", []byte(good+`
admin:
  idle_timeout: 10m
  password_iterations: 200000
`), []string{"YIMEN_ADMIN_MAX_FAILURES=3", "YIMEN_ADMIN_TOKEN=not-a-config-key"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Admin.IdleTimeout != 10*time.Minute || cfg.Admin.PasswordIterations != 200000 || cfg.Admin.MaxFailures != 3 {
		t.Fatalf("admin = %+v", cfg.Admin)
	}
	if got := cfg.PlatformTenantName(); got != "demo" {
		t.Fatalf("platform tenant = %q, want the first tenant", got)
	}
}

func TestAdminSectionErrorsNameKeyAndLine(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"admin:\n  platform_tenant: nowhere\n", "demo.yaml:13: admin.platform_tenant: no tenant"},
		{"admin:\n  password_iterations: 10\n", "demo.yaml:13: admin.password_iterations:"},
		{"admin:\n  idle_timeout: 2h\n  session_lifetime: 1h\n", "demo.yaml:13: admin.idle_timeout: must not exceed"},
		{"admin:\n  lockout_duration: -1m\n", "demo.yaml:13: admin.lockout_duration: must not be negative"},
		{"admin:\n  second_factor: nobody\n", "demo.yaml:13: admin.second_factor: must be"},
		{"http:\n  tls_cert: /nonexistent/cert.pem\n", "http.tls_cert: tls_cert and tls_key go together"},
		{"http:\n  tls_cert: /nonexistent/cert.pem\n  tls_key: /nonexistent/key.pem\n", "http.tls_cert: open /nonexistent/cert.pem"},
	} {
		doc := good + tc.yaml
		if strings.HasPrefix(tc.yaml, "http:") {
			doc = strings.Replace(good, "http:\n  addr: 127.0.0.1:8080\n", "", 1) + strings.Replace(tc.yaml, "http:\n", "http:\n  addr: 127.0.0.1:8080\n", 1)
		}
		_, err := Parse("demo.yaml", []byte(doc), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
