package boot

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
)

func securityTestConfig(dir string) config.Config {
	cfg := config.Defaults()
	cfg.DataDir = dir
	cfg.SIP.UDP, cfg.HTTP.Addr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.RTP.PortMin, cfg.RTP.PortMax = 39000, 39099
	cfg.Admin.PasswordIterations = 1000
	cfg.Tenants = []config.Tenant{{Name: "demo", Extensions: []string{"1001"}}}
	return cfg
}

// build assembles a PBX on dir (without running it) and closes it at the end.
func build(t *testing.T, cfg config.Config, env []string) *PBX {
	t.Helper()
	p, err := BuildPBX(context.Background(), cfg, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.DB.Close() })
	return p
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestFirstRunCreatesAdminsOnceAndBreakGlassFollowsConfig: the three
// administrators and the audit signing key are created once with private
// files; the break-glass token holds sysadmin only while it is configured.
func TestFirstRunCreatesAdminsOnceAndBreakGlassFollowsConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := securityTestConfig(dir)
	master := "YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()
	p := build(t, cfg, []string{master, "YIMEN_ADMIN_TOKEN=bg-secret-token-5d41402abc4b2a76b9719d911017c592"})
	sec := p.Security
	if len(sec.Admins) != 3 || sec.BootstrapFile != filepath.Join(dir, "initial-admins.txt") {
		t.Fatalf("admins %d in %s", len(sec.Admins), sec.BootstrapFile)
	}
	b, err := os.ReadFile(sec.BootstrapFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range sec.Admins {
		if !strings.Contains(string(b), a.Tenant+" "+a.Name+" "+a.Password+"\n") {
			t.Errorf("%s/%s missing from %s", a.Tenant, a.Name, sec.BootstrapFile)
		}
		u, err := sec.Platform.Auth.FindUser(context.Background(), a.Tenant, a.Name)
		if err != nil || !u.MustChange {
			t.Errorf("%s: %+v %v; want an account that must change its password", a.Name, u, err)
		}
		roles, err := sec.Platform.RBAC.Roles(context.Background(), u.ID, a.Tenant)
		if err != nil || len(roles) != 1 || roles[0].Role != a.Role {
			t.Errorf("%s holds %+v (%v), want exactly %s", a.Name, roles, err, a.Role)
		}
	}
	for _, f := range []string{sec.BootstrapFile, sec.SigningKeyFile} {
		if m := mode(t, f); m != 0o600 {
			t.Errorf("%s mode %o, want 600", f, m)
		}
	}
	if _, err := os.Stat(sec.SigningKeyFile + ".pub"); err != nil {
		t.Error(err)
	}
	if roles, _ := sec.Platform.RBAC.Roles(context.Background(), adminapi.BreakGlassSubject, "demo"); len(roles) != 1 || roles[0].Role != rbac.RoleSysAdmin {
		t.Errorf("break-glass roles %+v, want sysadmin", roles)
	}
	p.DB.Close()

	// Second start, token removed: no new administrators, break-glass gone.
	p2 := build(t, cfg, []string{master})
	if len(p2.Security.Admins) != 0 {
		t.Errorf("second start created %d administrators", len(p2.Security.Admins))
	}
	if roles, _ := p2.Security.Platform.RBAC.Roles(context.Background(), adminapi.BreakGlassSubject, "demo"); len(roles) != 0 {
		t.Errorf("break-glass roles without a token: %+v", roles)
	}
	rep, err := p2.Security.Platform.Audit.Verify(context.Background())
	if err != nil || !rep.OK || rep.Signatures == 0 {
		t.Errorf("audit chain across restarts: %+v %v", rep, err)
	}
}

// TestSigningKeyReadableByOthersIsRefused: a world-readable signing key
// stops the start instead of being used.
func TestSigningKeyReadableByOthersIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := securityTestConfig(dir)
	master := "YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()
	p := build(t, cfg, []string{master})
	p.DB.Close()
	if err := os.Chmod(p.Security.SigningKeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildPBX(context.Background(), cfg, []string{master}, io.Discard); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("start with a 0644 signing key: %v", err)
	}
}
