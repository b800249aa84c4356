package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
)

// writeLog creates a database with a few audit rows signed by the key in signerFile.
func writeLog(t *testing.T, dbPath, masterText, signerFile string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	master, _ := keys.ParseMasterKey(masterText)
	km, _ := keys.Open(ctx, db, master, nil)
	ring, _ := km.Keyring(ctx, "audit")
	b, _ := os.ReadFile(signerFile)
	sk, err := gm.DecodePrivateKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(ctx, audit.Config{SignEvery: 2}, audit.Deps{DB: db, Keys: ring, Signer: sk})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"auth.login", "rbac.role.assign", "recording.read", "auth.logout"} {
		if _, err := l.Append(ctx, audit.Entry{Tenant: "t1", Actor: "u1", Action: a, Outcome: audit.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
}

// masterEnv is a getenv that holds the master key and nothing else.
func masterEnv(master string) func(string) string {
	return func(k string) string {
		if k == keys.EnvMasterKey {
			return master
		}
		return ""
	}
}

func TestKeygenVerifyExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	signer, dbPath := filepath.Join(dir, "signer.pem"), filepath.Join(dir, "y.db")
	master := keys.GenerateMasterKey()
	env := masterEnv(master)
	var out, errb bytes.Buffer
	if rc := run(ctx, []string{"keygen", "-out", signer}, &out, &errb, env); rc != 0 {
		t.Fatalf("keygen: %s", errb.String())
	}
	if fi, _ := os.Stat(signer); fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key mode %o", fi.Mode().Perm())
	}
	writeLog(t, dbPath, master, signer)

	out.Reset()
	if rc := run(ctx, []string{"verify", "-db", dbPath, "-pub", signer + ".pub"}, &out, &errb, env); rc != 0 || !strings.HasPrefix(out.String(), "OK: 4 rows") {
		t.Fatalf("verify rc=%d out=%s err=%s", rc, out.String(), errb.String())
	}
	out.Reset()
	if rc := run(ctx, []string{"export", "-db", dbPath, "-action", "auth"}, &out, &errb, env); rc != 0 || strings.Count(out.String(), "\n") != 3 {
		t.Fatalf("export rc=%d: %s", rc, out.String())
	}
	// Tamper with row 3 behind the log's back: verify names it and exits 3.
	db, _ := store.Open(ctx, dbPath)
	db.SQL().Exec(`DROP TRIGGER audit_log_no_update`)
	db.SQL().Exec(`UPDATE audit_log SET actor = 'u2' WHERE id = 3`)
	db.Close()
	out.Reset()
	if rc := run(ctx, []string{"verify", "-db", dbPath, "-pub", signer + ".pub"}, &out, &errb, env); rc != 3 || !strings.Contains(out.String(), "row 3") {
		t.Fatalf("verify after tamper rc=%d: %s", rc, out.String())
	}
	if rc := run(ctx, []string{"verify", "-db", dbPath}, &out, &errb, env); rc != 1 {
		t.Fatal("verify without a trusted key must refuse")
	}
}

// The auditor keeps the newest head away from the database; after the end
// of the log is cut (triggers dropped, AUTOINCREMENT mended) plain verify
// still says OK, verify with the kept head does not.
func TestHeadKeptOutsideCatchesACutLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	signer, dbPath, headFile := filepath.Join(dir, "signer.pem"), filepath.Join(dir, "y.db"), filepath.Join(dir, "head.txt")
	master := keys.GenerateMasterKey()
	env := masterEnv(master)
	var out, errb bytes.Buffer
	if rc := run(ctx, []string{"keygen", "-out", signer}, &out, &errb, env); rc != 0 {
		t.Fatalf("keygen: %s", errb.String())
	}
	writeLog(t, dbPath, master, signer) // 4 rows, heads at rows 1 and 3
	if rc := run(ctx, []string{"head", "-db", dbPath, "-pub", signer + ".pub", "-out", headFile}, &out, &errb, env); rc != 0 {
		t.Fatalf("head: %s", errb.String())
	}
	kept, _ := os.ReadFile(headFile)
	if !strings.HasPrefix(string(kept), "yimen-audit-head-v2 seq=2 row=3 ") {
		t.Fatalf("kept head %q, want the second head, at row 3", kept)
	}
	db, _ := store.Open(ctx, dbPath)
	for _, q := range []string{`DROP TRIGGER audit_log_no_delete`, `DROP TRIGGER audit_signatures_no_delete`,
		`DELETE FROM audit_signatures WHERE row_id >= 3`, `DELETE FROM audit_log WHERE id >= 3`,
		`UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit_log'`} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	out.Reset()
	if rc := run(ctx, []string{"verify", "-db", dbPath, "-pub", signer + ".pub"}, &out, &errb, env); rc != 0 {
		t.Fatalf("without the kept head the cut is invisible; verify rc=%d %s", rc, out.String())
	}
	out.Reset()
	if rc := run(ctx, []string{"verify", "-db", dbPath, "-pub", signer + ".pub", "-head", headFile}, &out, &errb, env); rc != 3 || !strings.Contains(out.String(), "cut from the end") {
		t.Fatalf("verify -head after the cut rc=%d: %s %s", rc, out.String(), errb.String())
	}
	out.Reset()
	if rc := run(ctx, []string{"verify", "-db", dbPath, "-pub", signer + ".pub", "-max-age", "1ns"}, &out, &errb, env); rc != 3 || !strings.Contains(out.String(), "old") {
		t.Fatalf("verify -max-age rc=%d: %s", rc, out.String())
	}
}
