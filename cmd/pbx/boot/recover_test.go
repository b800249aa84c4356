package boot

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
)

// An administrator who lost their password and second factor is restored
// from the server console: a one-time password that must be changed, no
// second factor left (the session is the enrolment one), an auth.recover
// alarm in the audit log; a business user is refused (the API restores
// those), and so is a name nobody holds.
func TestRecoverAdministratorFromTheConsole(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := securityTestConfig(dir)
	env := []string{"YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()}
	p, err := BuildPBX(ctx, cfg, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Security.Platform.Auth
	aud, err := a.FindUser(ctx, "demo", "auditor")
	if err != nil {
		t.Fatal(err)
	}
	var audPassword string
	for _, c := range p.Security.Admins {
		if c.Tenant == "demo" && c.Name == "auditor" {
			audPassword = c.Password
		}
	}
	key, _ := gm.GenerateKey()
	if err := a.RegisterSM2Key(ctx, aud.ID, &key.PublicKey, auth.Proof{Password: audPassword}); err != nil {
		t.Fatalf("a second factor to lose: %v", err)
	}
	p.DB.Close()

	var out bytes.Buffer
	if err := RecoverAdministrator(ctx, cfg, env, "demo", "auditor", &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	pw := lines[len(lines)-1]
	if len(lines) != 2 || len(pw) < 12 {
		t.Fatalf("console output %q, want a notice and a one-time password", out.String())
	}
	for _, bad := range []string{"nobody", "alice"} {
		if err := RecoverAdministrator(ctx, cfg, env, "demo", bad, io.Discard); err == nil {
			t.Errorf("recovered %q", bad)
		}
	}

	p2, err := BuildPBX(ctx, cfg, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.DB.Close()
	s, err := p2.Security.Platform.Auth.Login(ctx, auth.LoginRequest{Tenant: "demo", Name: "auditor", Password: pw, Source: "127.0.0.1"})
	if err != nil {
		t.Fatalf("login with the one-time password (no TOTP any more): %v", err)
	}
	if !s.MustChangePassword {
		t.Error("the one-time password need not be changed")
	}
	if u, _ := p2.Security.Platform.Auth.FindUser(ctx, "demo", "auditor"); u.TOTP || u.HasSM2Key {
		t.Errorf("second factors left after recovery: %+v", u)
	}
	rows, err := p2.Security.Platform.Audit.Search(ctx, audit.Filter{Action: "auth.recover"})
	if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0].Actor, "console:") || rows[0].Target != aud.ID {
		t.Fatalf("audit of the recovery: %+v %v", rows, err)
	}
}
