package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/gm"
)

// A stolen session must not be enough to turn the second factor off or
// swap it: enrolling TOTP again and setting an SM2 key need the password,
// and the current code while TOTP is active.
func TestChangingAFactorNeedsProof(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.user(t, "t1", "alice")
	if _, _, err := f.svc.EnrollTOTP(ctx, u.ID, TOTPSM3, Proof{}); !errors.Is(err, ErrReauth) {
		t.Fatalf("enrol without the password: %v", err)
	}
	secret, _, err := f.svc.EnrollTOTP(ctx, u.ID, TOTPSM3, Proof{Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	raw := decodeB32(t, secret)
	code, _ := TOTPCode(raw, TOTPSM3, f.clock.Now())
	if err := f.svc.ConfirmTOTP(ctx, u.ID, code); err != nil {
		t.Fatal(err)
	}
	// Re-enrolling with the password but without the code is refused and
	// leaves the factor active.
	if _, _, err := f.svc.EnrollTOTP(ctx, u.ID, TOTPSM3, Proof{Password: goodPassword}); !errors.Is(err, ErrReauth) {
		t.Fatalf("re-enrol without the code: %v", err)
	}
	if err := f.svc.DisableTOTP(ctx, u.ID, Proof{Password: goodPassword}); !errors.Is(err, ErrReauth) {
		t.Fatalf("disable without the code: %v", err)
	}
	key, _ := gm.GenerateKey()
	if err := f.svc.RegisterSM2Key(ctx, u.ID, &key.PublicKey, Proof{Password: goodPassword}); !errors.Is(err, ErrReauth) {
		t.Fatalf("SM2 key without the code: %v", err)
	}
	if _, err := f.login(t, "t1", "alice", goodPassword, ""); !errors.Is(err, ErrSecondFactor) {
		t.Fatalf("password-only login after refused changes: %v", err)
	}
	f.clock.Add(30 * time.Second)
	code, _ = TOTPCode(raw, TOTPSM3, f.clock.Now())
	if err := f.svc.RegisterSM2Key(ctx, u.ID, &key.PublicKey, Proof{Password: goodPassword, TOTP: code}); err != nil {
		t.Fatalf("SM2 key with password and code: %v", err)
	}
	if f.audit.count("auth.totp.enroll", "denied") != 2 {
		t.Errorf("refused enrolments audited %d times, want 2", f.audit.count("auth.totp.enroll", "denied"))
	}
}

// An SM2 signature alone does not log in: the password is the other factor.
func TestSM2LoginNeedsThePassword(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.user(t, "t1", "alice")
	priv, _ := gm.GenerateKey()
	if err := f.svc.RegisterSM2Key(ctx, u.ID, &priv.PublicKey, Proof{Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "Wrong-pass-1"} {
		nonce, _, _ := f.svc.Challenge(ctx, "t1", "alice")
		sig, _ := gm.Sign(priv, nil, SM2LoginMessage("t1", "alice", nonce))
		if _, err := f.svc.LoginSM2(ctx, SM2LoginRequest{Tenant: "t1", Name: "alice", Password: pw, Nonce: nonce, Signature: sig}); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("SM2 login with password %q: %v", pw, err)
		}
	}
}

// A user who must use two factors gets a restricted session from a
// password alone, and a full one from password and code or key.
func TestSecondFactorDue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.user(t, "t1", "admin")
	f.user(t, "t1", "agent")
	f.svc.needs2FA = func(_ context.Context, id, tenant string) (bool, error) { return id == u.ID && tenant == "t1", nil }
	s, err := f.login(t, "t1", "admin", goodPassword, "")
	if err != nil || !s.SecondFactorDue {
		t.Fatalf("admin password login: %+v %v, want a restricted session", s, err)
	}
	p, err := f.svc.Authenticate(ctx, s.Token)
	if err != nil || !p.SecondFactorDue {
		t.Fatalf("admin password session: %+v %v, want SecondFactorDue", p, err)
	}
	if s, err := f.login(t, "t1", "agent", goodPassword, ""); err != nil || s.SecondFactorDue {
		t.Fatalf("agent password login: %+v %v", s, err)
	}
	priv, _ := gm.GenerateKey()
	if err := f.svc.RegisterSM2Key(ctx, u.ID, &priv.PublicKey, Proof{Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	nonce, _, _ := f.svc.Challenge(ctx, "t1", "admin")
	sig, _ := gm.Sign(priv, nil, SM2LoginMessage("t1", "admin", nonce))
	s, err = f.svc.LoginSM2(ctx, SM2LoginRequest{Tenant: "t1", Name: "admin", Password: goodPassword, Nonce: nonce, Signature: sig})
	if err != nil || s.SecondFactorDue {
		t.Fatalf("admin key+password login: %+v %v, want a full session", s, err)
	}
	// A password alone still opens only the restricted session.
	if s, err := f.login(t, "t1", "admin", goodPassword, ""); err != nil || !s.SecondFactorDue {
		t.Fatalf("admin with a key, password only: %+v %v", s, err)
	}
}
