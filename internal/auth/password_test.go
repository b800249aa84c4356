package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

func TestPasswordHashFormat(t *testing.T) {
	h := HashPassword("Secret-123", MinIterations)
	parts := strings.Split(h, "$")
	if len(parts) != 5 || parts[1] != "pbkdf2-sm3" || parts[2] != "1000" {
		t.Fatalf("hash %q not $pbkdf2-sm3$iter$salt$hash", h)
	}
	if !VerifyPassword(h, "Secret-123") || VerifyPassword(h, "Secret-124") {
		t.Fatal("verify wrong")
	}
	if HashPassword("Secret-123", MinIterations) == h {
		t.Fatal("salt not random")
	}
	p, err := ParseHash(h)
	if err != nil || p.Iterations != 1000 || len(p.Salt) != 16 || len(p.Key) != 32 {
		t.Fatalf("parse: %+v %v", p, err)
	}
	if !needsRehash(h, 2000) || needsRehash(h, 1000) {
		t.Fatal("needsRehash wrong")
	}
	for _, bad := range []string{"", "$pbkdf2-sm3$0$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$pbkdf2-sha256$1000$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$pbkdf2-sm3$01000$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := ParseHash(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	cases := []struct {
		name, pw, rule string
	}{
		{"alice", "Ab1!", RuleTooShort},
		{"alice", "abcdefgh", RuleClasses},
		{"alice", "abcdefg1", RuleClasses},
		{"alice", "ABCDEFG1a", ""},
		{"alice", "abc-defg1", ""},
		{"alice", "xAlice-2025", RuleUserName},
		{"alice", "ecila-2025X", RuleUserName},
		{"alice", "密码Abc123", ""},
		{"alice", strings.Repeat("Aa1", 100), RuleTooLong},
	}
	for _, c := range cases {
		err := CheckPassword(c.name, c.pw, 8)
		var pe *PasswordError
		switch {
		case c.rule == "" && err != nil:
			t.Errorf("%q rejected: %v", c.pw, err)
		case c.rule != "" && (!errors.As(err, &pe) || pe.Rule != c.rule || !errors.Is(err, errs.ErrInvalid)):
			t.Errorf("%q: err = %v, want rule %q", c.pw, err, c.rule)
		}
	}
	f := newFixture(t)
	if _, err := f.svc.CreateUser(context.Background(), NewUser{Tenant: "t1", Name: "bob", Password: "bob12345X"}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("CreateUser accepted a password containing the user name")
	}
}

func TestPasswordHistoryOfFive(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.user(t, "t1", "carol")
	pws := []string{goodPassword}
	for i := 1; i <= 5; i++ {
		next := "Rotate-" + strings.Repeat("x", i) + "9"
		if err := f.svc.ChangePassword(ctx, u.ID, pws[len(pws)-1], next, ""); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		pws = append(pws, next)
	}
	cur := pws[len(pws)-1]
	// The current password and the four before it are refused...
	for _, old := range pws[1:5] {
		err := f.svc.ChangePassword(ctx, u.ID, cur, old, "")
		var pe *PasswordError
		if !errors.As(err, &pe) || pe.Rule != RuleReused {
			t.Fatalf("reuse of a recent password: %v", err)
		}
	}
	// ...the sixth-newest is allowed again.
	if err := f.svc.ChangePassword(ctx, u.ID, cur, pws[0], ""); err != nil {
		t.Fatalf("sixth-newest password refused: %v", err)
	}
	if err := f.svc.ChangePassword(ctx, u.ID, "wrong", "Brand-new-77", ""); !errors.Is(err, errs.ErrForbidden) {
		t.Fatal("change without the current password")
	}
}

func TestPasswordMaxAgeForcesChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.user(t, "t1", "dave")
	s, err := f.login(t, "t1", "dave", goodPassword, "")
	if err != nil || s.MustChangePassword {
		t.Fatalf("fresh password: %v must=%v", err, s != nil && s.MustChangePassword)
	}
	f.clock.Add(91 * 24 * time.Hour)
	s, err = f.login(t, "t1", "dave", goodPassword, "")
	if err != nil || !s.MustChangePassword {
		t.Fatal("a 91-day-old password must force a change")
	}
	if err := f.svc.ChangePassword(ctx, u.ID, goodPassword, "Changed-2025x", s.Token); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Authenticate(ctx, s.Token)
	if err != nil || p.MustChangePassword {
		t.Fatalf("after change: %v", err)
	}
	// An administrator's reset forces a change and ends all sessions.
	if err := f.svc.SetPassword(ctx, u.ID, "Reset-by-admin1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, s.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatal("reset must end sessions")
	}
	s, _ = f.login(t, "t1", "dave", "Reset-by-admin1", "")
	if s == nil || !s.MustChangePassword {
		t.Fatal("reset password must be changed at next login")
	}
}

func TestLoginRehashesAtHigherCost(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.user(t, "t1", "erin")
	f.svc.cfg.Iterations = 2 * MinIterations
	if _, err := f.login(t, "t1", "erin", goodPassword, ""); err != nil {
		t.Fatal(err)
	}
	row, _ := f.svc.st.userByID(ctx, u.ID)
	if p, _ := ParseHash(row.hash); p.Iterations != 2*MinIterations {
		t.Fatalf("hash not upgraded: %d", p.Iterations)
	}
	if _, err := f.login(t, "t1", "erin", goodPassword, ""); err != nil {
		t.Fatal("upgraded hash does not verify")
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(HashPassword("x", MinIterations))
	f.Add("$pbkdf2-sm3$1$$")
	f.Add("$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseHash(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatal(err)
			}
			return
		}
		if p.Iterations < 1 || p.Iterations > maxIter || len(p.Key) < 16 || len(p.Salt) < 8 {
			t.Fatalf("accepted %+v", p)
		}
		if p.Iterations <= 5000 {
			VerifyPassword(s, "pw") // must not panic
		}
	})
}
