package auth

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type auditSpy struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (a *auditSpy) Append(_ context.Context, e audit.Entry) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return int64(len(a.entries)), nil
}

func (a *auditSpy) count(action, outcome string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.entries {
		if e.Action == action && e.Outcome == outcome {
			n++
		}
	}
	return n
}

type fixture struct {
	svc   *Service
	clock *clock
	audit *auditSpy
	db    *store.DB
	path  string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, _ := keys.ParseMasterKey(keys.GenerateMasterKey())
	km, err := keys.Open(ctx, db, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := km.Keyring(ctx, "auth.totp")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	spy := &auditSpy{}
	cfg := DefaultConfig()
	cfg.Iterations = MinIterations
	cfg.Now = clk.Now
	svc, err := New(ctx, cfg, Deps{DB: db, Secrets: ring, Audit: spy})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clock: clk, audit: spy, db: db, path: path}
}

const goodPassword = "Hotline-12345"

func (f *fixture) user(t testing.TB, tenant, name string) User {
	t.Helper()
	u, err := f.svc.CreateUser(context.Background(), NewUser{Tenant: tenant, Name: name, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(t testing.TB, tenant, name, pw, src string) (*Session, error) {
	t.Helper()
	return f.svc.Login(context.Background(), LoginRequest{Tenant: tenant, Name: name, Password: pw, Source: src})
}
