package auth

import (
	"context"
	"testing"
)

// BenchmarkPasswordVerify is one password check at DefaultIterations, the
// cost every login pays; it is tuned to about 100 ms on the reference machine.
func BenchmarkPasswordVerify(b *testing.B) {
	h := HashPassword("Hotline-12345", DefaultIterations)
	for b.Loop() {
		if !VerifyPassword(h, "Hotline-12345") {
			b.Fatal("verify")
		}
	}
}

func BenchmarkAuthenticateSession(b *testing.B) {
	f := newFixture(b)
	f.user(b, "t1", "alice")
	s, _ := f.login(b, "t1", "alice", goodPassword, "")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Authenticate(ctx, s.Token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateAPIToken(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	tok, _, _ := f.svc.CreateAPIToken(ctx, "t1", "svc:cti", "cti", 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.AuthenticateToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
