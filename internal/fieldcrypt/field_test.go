package fieldcrypt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/keys"
)

func TestEncryptDecryptBindsPlace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ct, err := e.c.Encrypt(ctx, "cdr", "42", "caller", []byte("13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := e.c.Decrypt(ctx, "cdr", "42", "caller", ct)
	if err != nil || string(pt) != "13800138000" {
		t.Fatalf("decrypt = %q, %v", pt, err)
	}
	moved := []struct{ table, row, col string }{
		{"cdr", "43", "caller"},       // another row
		{"cdr", "42", "callee"},       // another column
		{"voicemail", "42", "caller"}, // another table (and key)
	}
	for _, m := range moved {
		if _, err := e.c.Decrypt(ctx, m.table, m.row, m.col, ct); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("opened at %v: %v", m, err)
		}
	}
	bad := bytes.Clone(ct)
	bad[len(bad)/2] ^= 1
	if _, err := e.c.Decrypt(ctx, "cdr", "42", "caller", bad); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("tampered ciphertext opened")
	}
	if _, err := e.c.Encrypt(ctx, "cdr|x", "1", "caller", nil); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("'|' in a table name must be refused: it would alias AADs")
	}
	// A field sealed before a data-key rotation still opens after it.
	if _, err := e.keys.NewVersion(ctx, "field.cdr"); err != nil {
		t.Fatal(err)
	}
	if pt, err := e.c.Decrypt(ctx, "cdr", "42", "caller", ct); err != nil || string(pt) != "13800138000" {
		t.Fatalf("after NewVersion: %v", err)
	}
}

func TestBlindIndexNormalisesAndSeparatesColumns(t *testing.T) {
	e := newEnv(t)
	same := []string{"13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "8613800138000", " 138-0013-8000 ", "(+86)13800138000"}
	want := e.c.BlindIndex("phone", []byte(same[0]))
	if len(want) != BlindSize {
		t.Fatalf("len %d", len(want))
	}
	for _, s := range same[1:] {
		if got := e.c.BlindIndex("phone", []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("%q indexes differently from %q", s, same[0])
		}
	}
	for _, s := range []string{"13800138001", "+1 13800138000", "010-13800138"} {
		if bytes.Equal(e.c.BlindIndex("phone", []byte(s)), want) {
			t.Errorf("%q collides with %q", s, same[0])
		}
	}
	if bytes.Equal(e.c.BlindIndex("callee", []byte(same[0])), want) {
		t.Fatal("different columns must use different blind keys")
	}
	if !bytes.Equal(e.c.BlindIndex("id_no", []byte("11010519491231002x")), e.c.BlindIndex("id_no", []byte("11010519491231002X"))) {
		t.Fatal("ID check letter case must not matter")
	}
	// Stable across a restart (new Cipher) and across a blind-key version bump.
	ctx := context.Background()
	e.keys.NewVersion(ctx, BlindKeyName)
	c2, err := New(ctx, e.keys)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c2.BlindIndex("phone", []byte(same[0])), want) {
		t.Fatal("blind index changed across restart")
	}
	// Another deployment (another master key, other data keys) gets other indexes.
	if bytes.Equal(newEnv(t).c.BlindIndex("phone", []byte(same[0])), want) {
		t.Fatal("blind index does not depend on the key")
	}
}

// TestNoPhoneNumberInClearOnDisk stores field-encrypted numbers with blind
// indexes the way the CDR store does, looks one up by number, and then scans
// every database file for the numbers in clear.
func TestNoPhoneNumberInClearOnDisk(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	q := e.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `CREATE TABLE cdr (id INTEGER PRIMARY KEY, caller BLOB, caller_bidx BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ExecContext(ctx, `CREATE INDEX cdr_caller_bidx ON cdr(caller_bidx)`); err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for i := 0; i < 200; i++ {
		numbers = append(numbers, fmt.Sprintf("139%08d", 10000000+i*7919))
	}
	for i, n := range numbers {
		id := fmt.Sprint(i + 1)
		ct, err := e.c.Encrypt(ctx, "cdr", id, "caller", []byte(n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO cdr(id, caller, caller_bidx) VALUES (?,?,?)`, i+1, ct, e.c.BlindIndex("caller", []byte(n))); err != nil {
			t.Fatal(err)
		}
	}
	var id int
	var ct []byte
	target := "+86 " + numbers[77]
	if err := q.QueryRowContext(ctx, `SELECT id, caller FROM cdr WHERE caller_bidx = ?`, e.c.BlindIndex("caller", []byte(target))).Scan(&id, &ct); err != nil {
		t.Fatal(err)
	}
	pt, err := e.c.Decrypt(ctx, "cdr", fmt.Sprint(id), "caller", ct)
	if err != nil || string(pt) != numbers[77] || id != 78 {
		t.Fatalf("lookup by blind index: id=%d %q %v", id, pt, err)
	}
	var disk []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(e.path + suffix)
		disk = append(disk, b...)
	}
	if len(disk) < 4096 {
		t.Fatal("database files look empty")
	}
	for _, n := range numbers {
		if bytes.Contains(disk, []byte(n)) || bytes.Contains(disk, []byte(n[3:])) {
			t.Fatalf("number %s found in clear on disk", Mask(n))
		}
	}
}

var _ Keyrings = (*keys.Manager)(nil)
