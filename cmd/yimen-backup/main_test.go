package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/store"
)

// A data directory as the PBX leaves it: a database whose recordings
// index lists a finished recording, one being written and one whose file
// is gone, and a second database (the OA's).
func seed(t *testing.T) (paths, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	p := paths{db: filepath.Join(dir, "yimen.db"), recordings: filepath.Join(dir, "recordings")}
	db, err := store.Open(ctx, p.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE recordings (id TEXT PRIMARY KEY, path TEXT NOT NULL, state TEXT NOT NULL);
		INSERT INTO recordings VALUES ('r1','2026/12/06/r1.wav.sm4','complete'), ('r2','2026/12/06/r2.wav.sm4','recording'),
		('r3','2026/12/05/r3.wav.sm4','complete'); CREATE TABLE cdrs (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO cdrs (v) VALUES ('a'),('b')`); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"2026/12/06/r1.wav.sm4": "sealed audio one", "2026/12/06/r2.wav.sm4": "half written"} {
		f := filepath.Join(p.recordings, name)
		os.MkdirAll(filepath.Dir(f), 0o700)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	oa := filepath.Join(dir, "oa.db")
	odb, err := store.Open(ctx, oa)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	if _, err := odb.SQL().ExecContext(ctx, `CREATE TABLE tickets (id INTEGER PRIMARY KEY); INSERT INTO tickets VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	return p, oa
}

func count(t *testing.T, path, table string) int {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSnapshotVerifyRestore(t *testing.T) {
	ctx := context.Background()
	p, oa := seed(t)
	// The PBX keeps running (and owning its database) during a snapshot.
	owner, err := store.OpenOwned(ctx, p.db)
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	m, err := snapshot(ctx, p, []string{oa}, snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Databases) != 2 || len(m.Recordings) != 1 || m.InProgress != 1 || len(m.Missing) != 1 || m.Missing[0] != "2026/12/05/r3.wav.sm4" {
		t.Fatalf("manifest: %+v", m)
	}
	if _, err := verify(ctx, snap); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := snapshot(ctx, p, nil, snap); err == nil {
		t.Fatal("a snapshot over an existing directory was taken")
	}

	// Restoring while the PBX owns the database is refused.
	target := t.TempDir()
	live := paths{db: p.db, recordings: filepath.Join(target, "recordings")}
	if _, err := restore(ctx, snap, live, []string{filepath.Join(target, "oa.db")}, true, time.Now()); err == nil || !strings.Contains(err.Error(), "stop the process") {
		t.Fatalf("restore onto an owned database: %v", err)
	}
	owner.Close()

	// Onto an empty data directory.
	q := paths{db: filepath.Join(target, "yimen.db"), recordings: filepath.Join(target, "recordings")}
	if _, err := restore(ctx, snap, q, nil, false, time.Now()); err == nil || !strings.Contains(err.Error(), "-db PATH/oa.db") {
		t.Fatalf("restore without a place for oa.db: %v", err)
	}
	oa2 := filepath.Join(target, "oa.db")
	if _, err := restore(ctx, snap, q, []string{oa2}, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, q.db, "cdrs"); n != 2 {
		t.Fatalf("restored cdrs = %d", n)
	}
	if n := count(t, oa2, "tickets"); n != 1 {
		t.Fatalf("restored tickets = %d", n)
	}
	if b, _ := os.ReadFile(filepath.Join(q.recordings, "2026/12/06/r1.wav.sm4")); string(b) != "sealed audio one" {
		t.Fatalf("restored recording = %q", b)
	}
	if _, err := os.Stat(filepath.Join(q.recordings, "2026/12/06/r2.wav.sm4")); err == nil {
		t.Fatal("a recording still being written was restored")
	}

	// Again onto the now populated directory: refused, then moved aside.
	if _, err := restore(ctx, snap, q, []string{oa2}, false, time.Now()); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("restore over a database: %v", err)
	}
	at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	if _, err := restore(ctx, snap, q, []string{oa2}, true, at); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(q.db + ".before-restore-20261206T080000Z"); err != nil {
		t.Fatalf("the replaced database was not kept: %v", err)
	}
}

func TestVerifyFindsAlteredFiles(t *testing.T) {
	ctx := context.Background()
	p, _ := seed(t)
	snap := filepath.Join(t.TempDir(), "snap")
	if _, err := snapshot(ctx, p, nil, snap); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(snap, "recordings", "2026/12/06/r1.wav.sm4")
	if err := os.WriteFile(rec, []byte("sealed audio ONE"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(ctx, snap); err == nil || !strings.Contains(err.Error(), "altered or damaged") {
		t.Fatalf("verify of an altered recording: %v", err)
	}
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"verify", snap}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "r1.wav.sm4") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if code := run(ctx, []string{"verify", filepath.Join(t.TempDir(), "none")}, &out, &errb); code != 1 {
		t.Fatalf("verify of no snapshot: exit %d", code)
	}
	if code := run(ctx, []string{"snapshot"}, &out, &errb); code != 2 {
		t.Fatalf("snapshot without flags: exit %d", code)
	}
}
