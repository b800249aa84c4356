package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// The two drivers (driver_cgo.go, driver_purego.go) on the PBX's common
// shapes: a CDR-sized row committed on its own (WAL, synchronous=NORMAL)
// and a lookup by an indexed column. Compare with
//
//	go test -run '^$' -bench . ./internal/store
//	go test -run '^$' -bench . -tags purego ./internal/store
func benchDB(b *testing.B, rows int) *DB {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Q(ctx).ExecContext(ctx, `CREATE TABLE cdr (id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, caller TEXT, callee TEXT,
		started INTEGER, talk_ms INTEGER, detail BLOB); CREATE INDEX cdr_call ON cdr(call_id)`); err != nil {
		b.Fatal(err)
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		for i := range rows {
			if _, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO cdr (call_id, caller, callee, started, talk_ms, detail) VALUES (?,?,?,?,?,?)`,
				fmt.Sprintf("call-%08d", i), "1001", "1002", i, i%600000, make([]byte, 200)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func BenchmarkInsertCommitted(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b, 0)
	detail := make([]byte, 200)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO cdr (call_id, caller, callee, started, talk_ms, detail) VALUES (?,?,?,?,?,?)`,
			fmt.Sprintf("call-%08d", i), "1001", "1002", i, 1000, detail); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupIndexed(b *testing.B) {
	ctx := context.Background()
	const rows = 100_000
	db := benchDB(b, rows)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var talk int
		if err := db.Q(ctx).QueryRowContext(ctx, `SELECT talk_ms FROM cdr WHERE call_id = ?`, fmt.Sprintf("call-%08d", (i*7919)%rows)).Scan(&talk); err != nil {
			b.Fatal(err)
		}
	}
}
