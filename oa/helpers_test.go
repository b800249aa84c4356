package oa

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
)

// clock is a settable now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	svc *Service
	db  *store.DB
	clk *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mk, err := keys.ParseMasterKey(keys.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km, err := keys.Open(ctx, db, mk, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fieldcrypt.New(ctx, km)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := km.Keyring(ctx, "oa.attachments")
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := &clock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, sh)} // a Monday
	svc, err := New(ctx, Config{Calendar: cnCalendar(t), BaseURL: "http://oa.test", LocalAreaCode: "010"},
		Deps{DB: db, Fields: fc, Attachments: ring, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, clk: clk}
}
