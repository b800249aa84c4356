package fieldcrypt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
)

type env struct {
	db     *store.DB
	path   string
	master *keys.MasterKey
	keys   *keys.Manager
	c      *Cipher
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, err := keys.ParseMasterKey(keys.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km, err := keys.Open(ctx, db, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, km)
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, path: path, master: master, keys: km, c: c}
}
