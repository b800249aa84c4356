package keys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

func openDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "k.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func mustMaster(t *testing.T) *MasterKey {
	t.Helper()
	k, err := ParseMasterKey(GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseMasterKeyForms(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 16)
	forms := []string{
		hex.EncodeToString(raw),
		"  " + strings.ToUpper(hex.EncodeToString(raw)) + "\n",
		base64.StdEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
	}
	var id string
	for _, f := range forms {
		k, err := ParseMasterKey(f)
		if err != nil {
			t.Fatalf("%q: %v", f, err)
		}
		if id == "" {
			id = k.ID()
		} else if k.ID() != id {
			t.Fatalf("%q parsed to a different key", f)
		}
	}
	for _, bad := range []string{"", "abcd", strings.Repeat("zz", 16), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 24))} {
		if _, err := ParseMasterKey(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", bad, err)
		}
	}
	secret := strings.Repeat("q", 32)
	if _, err := ParseMasterKey(secret); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error must not quote the input: %v", err)
	}
}

func TestMasterKeyFileModeIsEnforced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if err := os.WriteFile(path, []byte(GenerateMasterKey()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // umask may have narrowed it
	_, err := LoadMasterKeyFile(path)
	if !errors.Is(err, errs.ErrForbidden) || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("0644 file: err = %v, want ErrForbidden naming 0600", err)
	}
	os.Chmod(path, 0o600)
	k, err := LoadMasterKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMasterKeyFile(dir); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("directory: err = %v", err)
	}
	// The file wins over the environment; the environment is used without a file.
	env := map[string]string{EnvMasterKey: GenerateMasterKey()}
	fromFile, err := LoadMasterKey(path, func(k string) string { return env[k] })
	if err != nil || fromFile.ID() != k.ID() {
		t.Fatalf("file: %v", err)
	}
	fromEnv, err := LoadMasterKey("", func(k string) string { return env[k] })
	if err != nil || fromEnv.ID() == k.ID() {
		t.Fatalf("env: %v", err)
	}
	if _, err := LoadMasterKey("", func(string) string { return "" }); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("none: %v", err)
	}
}

func TestMasterKeyNeverPrints(t *testing.T) {
	k := mustMaster(t)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "k", k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %x %s", k, k, k, k, k), logs.String()} {
		if strings.Contains(strings.ToLower(s), hex.EncodeToString(k.key)) || !strings.Contains(s, k.ID()) {
			t.Fatalf("leaks or lacks fingerprint: %s", s)
		}
	}
}

func TestKeyringSealOpenVersions(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	m, err := Open(ctx, db, mustMaster(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Keyring(ctx, "pbx.cdr")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() != 1 {
		t.Fatalf("first version = %d", r.Version())
	}
	aad := []byte("cdr|1|caller")
	old, err := r.Seal([]byte("13800138000"), aad)
	if err != nil {
		t.Fatal(err)
	}
	derived := r.DeriveKey("blind")
	v, err := m.NewVersion(ctx, "pbx.cdr")
	if err != nil || v != 2 || r.Version() != 2 {
		t.Fatalf("new version = %d (%v), ring at %d", v, err, r.Version())
	}
	fresh, _ := r.Seal([]byte("13900139000"), aad)
	if fresh[3] != 2 || old[3] != 1 {
		t.Fatal("ciphertexts do not carry their version")
	}
	for _, c := range [][]byte{old, fresh} {
		if _, err := r.Open(c, aad); err != nil {
			t.Fatalf("open: %v", err)
		}
		if _, err := r.Open(c, []byte("cdr|2|caller")); !errors.Is(err, errs.ErrInvalid) {
			t.Fatal("opened under another row's aad")
		}
	}
	if !bytes.Equal(derived, r.DeriveKey("blind")) {
		t.Fatal("DeriveKey changed with a new version")
	}
	if bytes.Equal(derived, r.DeriveKey("other")) {
		t.Fatal("labels must separate derived keys")
	}
	other, _ := m.Keyring(ctx, "recordings")
	if _, err := other.Open(old, aad); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("another ring opened pbx.cdr ciphertext")
	}
	unknown := bytes.Clone(old)
	unknown[3] = 9
	if _, err := r.Open(unknown, aad); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("unknown version accepted")
	}
	if _, err := m.Keyring(ctx, "Bad Name"); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("bad name accepted")
	}
}

func TestKeysSurviveRestartAndWrongMasterIsRefused(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	master := mustMaster(t)
	m, _ := Open(ctx, db, master, nil)
	r, _ := m.Keyring(ctx, "recordings")
	c, _ := r.Seal([]byte("secret"), nil)

	m2, err := Open(ctx, db, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := m2.Keyring(ctx, "recordings")
	if pt, err := r2.Open(c, nil); err != nil || string(pt) != "secret" {
		t.Fatalf("after restart: %q %v", pt, err)
	}
	if _, err := Open(ctx, db, mustMaster(t), nil); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("wrong master: %v", err)
	}
}

func TestRotateRewrapsUnderNewMaster(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	oldM, newM := mustMaster(t), mustMaster(t)
	m, _ := Open(ctx, db, oldM, nil)
	r, _ := m.Keyring(ctx, "pbx.cdr")
	m.NewVersion(ctx, "pbx.cdr")
	m.Keyring(ctx, "recordings")
	c, _ := r.Seal([]byte("13800138000"), []byte("a"))
	var before [][]byte
	rows, _ := db.SQL().QueryContext(ctx, `SELECT wrapped FROM data_keys ORDER BY name, version`)
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		before = append(before, b)
	}
	rows.Close()

	n, err := m.Rotate(ctx, newM)
	if err != nil || n != 3 {
		t.Fatalf("rotate = %d, %v", n, err)
	}
	infos, _ := m.List(ctx)
	for i, k := range infos {
		if k.MasterID != newM.ID() {
			t.Fatalf("%s v%d still under %s", k.Name, k.Version, k.MasterID)
		}
		var now []byte
		db.SQL().QueryRowContext(ctx, `SELECT wrapped FROM data_keys WHERE name=? AND version=?`, k.Name, k.Version).Scan(&now)
		if bytes.Equal(now, before[i]) {
			t.Fatalf("%s v%d not re-wrapped", k.Name, k.Version)
		}
	}
	if _, err := Open(ctx, db, oldM, nil); !errors.Is(err, errs.ErrForbidden) {
		t.Fatal("old master still accepted after rotation")
	}
	m2, err := Open(ctx, db, newM, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := m2.Keyring(ctx, "pbx.cdr")
	if pt, err := r2.Open(c, []byte("a")); err != nil || string(pt) != "13800138000" {
		t.Fatalf("old ciphertext after rotation: %v", err)
	}
}

func TestNoKeyInClearInDatabaseFiles(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	master := mustMaster(t)
	m, _ := Open(ctx, db, master, nil)
	var raws [][]byte
	for _, name := range []string{"pbx.cdr", "recordings", "field.cdr"} {
		r, err := m.Keyring(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		m.NewVersion(ctx, name)
		r.mu.RLock()
		raws = append(raws, r.first)
		r.mu.RUnlock()
	}
	next := mustMaster(t)
	if _, err := m.Rotate(ctx, next); err != nil {
		t.Fatal(err)
	}
	var blob []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(path + suffix)
		blob = append(blob, b...)
	}
	if len(blob) == 0 {
		t.Fatal("nothing on disk")
	}
	secrets := append(raws, master.key, next.key)
	for i, s := range secrets {
		for _, form := range [][]byte{s, []byte(hex.EncodeToString(s)), []byte(strings.ToUpper(hex.EncodeToString(s))), []byte(base64.StdEncoding.EncodeToString(s))} {
			if bytes.Contains(blob, form) {
				t.Fatalf("secret #%d found in clear in the database files", i)
			}
		}
	}
}

func TestTamperedWrappedKeyFailsAtThatRow(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	master := mustMaster(t)
	m, _ := Open(ctx, db, master, nil)
	m.Keyring(ctx, "pbx.cdr")
	// Move pbx.cdr v1's wrapping onto another name: AAD binds name and version.
	m.Keyring(ctx, "recordings")
	if _, err := db.SQL().ExecContext(ctx, `UPDATE data_keys SET wrapped = (SELECT wrapped FROM data_keys WHERE name='pbx.cdr') WHERE name='recordings'`); err != nil {
		t.Fatal(err)
	}
	m2, _ := Open(ctx, db, master, nil)
	_, err := m2.Keyring(ctx, "recordings")
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "recordings v1") {
		t.Fatalf("swapped wrapped key: err = %v", err)
	}
}

func FuzzParseMasterKey(f *testing.F) {
	f.Add(GenerateMasterKey())
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 16)))
	f.Add("")
	f.Add("  ==== ")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseMasterKey(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("err %v", err)
			}
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatal("error quotes input")
			}
			return
		}
		if len(k.key) != 16 {
			t.Fatalf("key len %d", len(k.key))
		}
	})
}
