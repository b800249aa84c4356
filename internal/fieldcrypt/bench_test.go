package fieldcrypt

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/yimen/yimen/internal/gm"
)

func BenchmarkFieldEncrypt(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	pt := []byte("13800138000")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.c.Encrypt(ctx, "cdr", "123456", "caller", pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldDecrypt(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	ct, _ := e.c.Encrypt(ctx, "cdr", "123456", "caller", []byte("13800138000"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.c.Decrypt(ctx, "cdr", "123456", "caller", ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	e := newEnv(b)
	v := []byte("+86 138 0013 8000")
	b.ReportAllocs()
	for b.Loop() {
		e.c.BlindIndex("caller", v)
	}
}

// BenchmarkBlindIndexLookup is a whole equality lookup: compute the index
// and probe an indexed SQLite column of 100 000 rows.
func BenchmarkBlindIndexLookup(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	q := e.db.Q(ctx)
	q.ExecContext(ctx, `CREATE TABLE cdr (id INTEGER PRIMARY KEY, caller_bidx BLOB)`)
	q.ExecContext(ctx, `CREATE INDEX cdr_bidx ON cdr(caller_bidx)`)
	e.db.InTx(ctx, func(ctx context.Context) error {
		for i := 0; i < 100_000; i++ {
			e.db.Q(ctx).ExecContext(ctx, `INSERT INTO cdr(caller_bidx) VALUES (?)`, e.c.BlindIndex("caller", []byte{byte(i), byte(i >> 8), byte(i >> 16), 'x'}))
		}
		return nil
	})
	stmt, _ := e.db.SQL().PrepareContext(ctx, `SELECT id FROM cdr WHERE caller_bidx = ?`)
	defer stmt.Close()
	v := []byte{7, 0, 0, 'x'}
	b.ReportAllocs()
	for b.Loop() {
		var id int
		if err := stmt.QueryRowContext(ctx, e.c.BlindIndex("caller", v)).Scan(&id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkWrite(b *testing.B) {
	key := gm.RandomBytes(16)
	pt := gm.RandomBytes(1 << 20)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		w, _ := NewChunkWriter(io.Discard, key, nil)
		w.Write(pt)
		w.Close()
	}
}

func BenchmarkChunkReadAt64K(b *testing.B) {
	key := gm.RandomBytes(16)
	var buf bytes.Buffer
	w, _ := NewChunkWriter(&buf, key, nil)
	w.Write(gm.RandomBytes(8 << 20))
	w.Close()
	r, _ := NewChunkReaderAt(bytes.NewReader(buf.Bytes()), int64(buf.Len()), key, nil)
	p := make([]byte, DefaultChunkSize)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Step across chunks so the one-chunk cache never hits.
		r.ReadAt(p, int64(i%120)*DefaultChunkSize)
		i++
	}
}
