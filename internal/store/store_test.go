package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateAppliesOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	files := fstest.MapFS{
		"0002_add.sql":    {Data: []byte(`INSERT INTO t(v) VALUES ('two');`)},
		"0001_create.sql": {Data: []byte(`CREATE TABLE t (v TEXT);`)},
		"README":          {Data: []byte(`ignored`)},
	}
	for i := 0; i < 2; i++ {
		if err := db.Migrate(ctx, "demo", files); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	var n int
	if err := db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows=%d err=%v, want 1 row (migration 2 applied once, after 1)", n, err)
	}
	// A new migration added later is applied on the next run.
	files["0003_more.sql"] = &fstest.MapFile{Data: []byte(`INSERT INTO t(v) VALUES ('three');`)}
	if err := db.Migrate(ctx, "demo", files); err != nil {
		t.Fatal(err)
	}
	db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
	if n != 2 {
		t.Fatalf("rows=%d, want 2", n)
	}
}

func TestMigrateRejectsBadNamesAndFailsAtomically(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if err := db.Migrate(ctx, "x", fstest.MapFS{"create.sql": {Data: []byte("SELECT 1")}}); err == nil {
		t.Fatal("want error for unnumbered migration")
	}
	bad := fstest.MapFS{"0001_bad.sql": {Data: []byte(`CREATE TABLE y (v TEXT); INSERT INTO nope VALUES (1);`)}}
	if err := db.Migrate(ctx, "y", bad); err == nil {
		t.Fatal("want error for failing migration")
	}
	var n int
	db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component='y'`).Scan(&n)
	if n != 0 {
		t.Fatal("failed migration must not be recorded")
	}
}

func TestInTxNestedRollsBackInnerOnly(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.Q(ctx).ExecContext(ctx, `CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	errInner := errors.New("inner")
	err := db.InTx(ctx, func(ctx context.Context) error {
		db.Q(ctx).ExecContext(ctx, `INSERT INTO t VALUES ('outer')`)
		if err := db.InTx(ctx, func(ctx context.Context) error {
			db.Q(ctx).ExecContext(ctx, `INSERT INTO t VALUES ('inner')`)
			return errInner
		}); !errors.Is(err, errInner) {
			t.Fatalf("inner err = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Q(ctx).QueryContext(ctx, `SELECT v FROM t`)
	var got []string
	for rows.Next() {
		var v string
		rows.Scan(&v)
		got = append(got, v)
	}
	rows.Close()
	if len(got) != 1 || got[0] != "outer" {
		t.Fatalf("got %v, want [outer]", got)
	}
}

func TestInTxRollsBackOnErrorAndPanic(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	db.Q(ctx).ExecContext(ctx, `CREATE TABLE t (v TEXT)`)
	_ = db.InTx(ctx, func(ctx context.Context) error {
		db.Q(ctx).ExecContext(ctx, `INSERT INTO t VALUES ('a')`)
		return errors.New("boom")
	})
	err := db.InTx(ctx, func(ctx context.Context) error {
		db.Q(ctx).ExecContext(ctx, `INSERT INTO t VALUES ('b')`)
		panic("bad")
	})
	if err == nil {
		t.Fatal("panic must surface as error")
	}
	var n int
	db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
	if n != 0 {
		t.Fatalf("rows=%d, want 0", n)
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	var mode string
	var fk, busy, sync int
	db.Q(ctx).QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	db.Q(ctx).QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk)
	db.Q(ctx).QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy)
	db.Q(ctx).QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync)
	// Each driver spells these settings its own way (driver_*.go); both
	// builds must end with the same database settings.
	if mode != "wal" || fk != 1 || busy != 5000 || sync != 1 {
		t.Fatalf("%s: journal_mode=%q foreign_keys=%d busy_timeout=%d synchronous=%d", Driver, mode, fk, busy, sync)
	}
}

// Packages hand Migrate their embed.FS as declared, with the files in a
// directory; the recorded name stays the file's base name, as databases
// migrated before kept it.
func TestMigrateFindsFilesInEmbeddedDirectory(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	files := fstest.MapFS{
		"migrations/0002_add.sql":    {Data: []byte(`INSERT INTO t(v) VALUES ('two');`)},
		"migrations/0001_create.sql": {Data: []byte(`CREATE TABLE t (v TEXT);`)},
	}
	if err := db.Migrate(ctx, "demo", files); err != nil {
		t.Fatal(err)
	}
	var names []string
	rows, err := db.Q(ctx).QueryContext(ctx, `SELECT name FROM schema_migrations WHERE component='demo' ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	if len(names) != 2 || names[0] != "0001_create.sql" || names[1] != "0002_add.sql" {
		t.Fatalf("recorded %q, want the base names in version order", names)
	}
	// The same version in two directories is a mistake, not a choice.
	files["other/0002_again.sql"] = &fstest.MapFile{Data: []byte(`SELECT 1`)}
	if err := db.Migrate(ctx, "demo", files); err == nil {
		t.Fatal("want error for a version used twice")
	}
}

// One owner at a time: a second PBX on the same data directory (or a
// restore while the PBX runs) is refused; closing gives the database up.
func TestOpenOwnedRefusesASecondOwner(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "owned.db")
	db, err := OpenOwned(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOwned(ctx, path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second owner: %v, want ErrInUse", err)
	}
	if _, err := LockOwner(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("lock while owned: %v, want ErrInUse", err)
	}
	// Readers are not owners.
	r, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	r.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenOwned(ctx, path)
	if err != nil {
		t.Fatalf("after close: %v", err)
	}
	db2.Close()
}

// AfterCommit's functions run after the commit, when what they announce can
// be read; not at all when the transaction, or the savepoint they were
// registered in, rolls back; at once outside a transaction.
func TestAfterCommitRunsOnlyOnceCommitted(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.Q(ctx).ExecContext(ctx, `CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	var ran []string
	seen := func(name string) func() {
		return func() {
			var n int
			db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n) // outside the transaction
			ran = append(ran, name+":"+string(rune('0'+n)))
		}
	}
	err := db.InTx(ctx, func(ctx context.Context) error {
		db.Q(ctx).ExecContext(ctx, `INSERT INTO t VALUES ('a')`)
		db.AfterCommit(ctx, seen("outer"))
		_ = db.InTx(ctx, func(ctx context.Context) error {
			db.AfterCommit(ctx, seen("rolled-back savepoint"))
			return errors.New("no")
		})
		_ = db.InTx(ctx, func(ctx context.Context) error {
			db.AfterCommit(ctx, seen("kept savepoint"))
			return nil
		})
		if len(ran) != 0 {
			t.Errorf("ran before the commit: %v", ran)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 2 || ran[0] != "outer:1" || ran[1] != "kept savepoint:1" {
		t.Errorf("after commit ran %v, want outer:1 and kept savepoint:1", ran)
	}
	ran = nil
	_ = db.InTx(ctx, func(ctx context.Context) error {
		db.AfterCommit(ctx, seen("rolled back"))
		return errors.New("no")
	})
	db.AfterCommit(ctx, seen("no transaction"))
	if len(ran) != 1 || ran[0] != "no transaction:1" {
		t.Errorf("ran %v, want only the one outside a transaction", ran)
	}
}
