package fieldcrypt

import (
	"context"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
)

// Keyrings hands out named data-key rings; *keys.Manager implements it.
type Keyrings interface {
	Keyring(ctx context.Context, name string) (*keys.Keyring, error)
}

var _ Keyrings = (*keys.Manager)(nil)

// BlindKeyName is the data key whose derived sub-keys compute blind indexes.
const BlindKeyName = "field.blind"

// BlindSize is the length of a blind index.
const BlindSize = 16

// Cipher encrypts fields with one data key per table ("field.<table>") and
// computes blind indexes with a separate key. It is safe for concurrent use.
type Cipher struct {
	rings     Keyrings
	blindRoot []byte
	tables    sync.Map // table -> *keys.Keyring
	columns   sync.Map // column -> *sync.Pool of keyed HMAC-SM3
}

// New loads the blind-index key (creating it on first use) and returns a Cipher.
func New(ctx context.Context, rings Keyrings) (*Cipher, error) {
	r, err := rings.Keyring(ctx, BlindKeyName)
	if err != nil {
		return nil, err
	}
	return &Cipher{rings: rings, blindRoot: r.DeriveKey("blind-index")}, nil
}

// AAD returns the associated data binding a field to its place:
// "table|rowID|column". A ciphertext copied to another row or column fails.
func AAD(table, rowID, column string) []byte {
	b := make([]byte, 0, len(table)+len(rowID)+len(column)+2)
	b = append(b, table...)
	b = append(b, '|')
	b = append(b, rowID...)
	b = append(b, '|')
	return append(b, column...)
}

func checkPlace(table, column string) error {
	// A '|' in table or column would make two places share one AAD.
	if table == "" || column == "" || strings.ContainsRune(table, '|') || strings.ContainsRune(column, '|') {
		return fmt.Errorf("fieldcrypt: table and column must be non-empty without '|': %w", errs.ErrInvalid)
	}
	return nil
}

func (c *Cipher) ring(ctx context.Context, table string) (*keys.Keyring, error) {
	if r, ok := c.tables.Load(table); ok {
		return r.(*keys.Keyring), nil
	}
	r, err := c.rings.Keyring(ctx, "field."+strings.ToLower(table))
	if err != nil {
		return nil, err
	}
	c.tables.Store(table, r)
	return r, nil
}

// Encrypt seals plaintext for table.column of row rowID.
func (c *Cipher) Encrypt(ctx context.Context, table, rowID, column string, plaintext []byte) ([]byte, error) {
	if err := checkPlace(table, column); err != nil {
		return nil, err
	}
	r, err := c.ring(ctx, table)
	if err != nil {
		return nil, err
	}
	return r.Seal(plaintext, AAD(table, rowID, column))
}

// Decrypt opens what Encrypt sealed for the same table, row and column.
// Any mismatch fails with an error wrapping errs.ErrInvalid.
func (c *Cipher) Decrypt(ctx context.Context, table, rowID, column string, ciphertext []byte) ([]byte, error) {
	if err := checkPlace(table, column); err != nil {
		return nil, err
	}
	r, err := c.ring(ctx, table)
	if err != nil {
		return nil, err
	}
	pt, err := r.Open(ciphertext, AAD(table, rowID, column))
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: %s.%s row %s: %w", table, column, rowID, err)
	}
	return pt, nil
}

// BlindIndex returns HMAC-SM3 (truncated to BlindSize bytes) of the
// normalised value under a key derived for column, so equal values in one
// column match and values in different columns do not. The key is separate
// from the field-encryption keys and does not change when they rotate.
func (c *Cipher) BlindIndex(column string, value []byte) []byte {
	p, ok := c.columns.Load(column)
	if !ok {
		k := gm.HMACSM3(c.blindRoot, []byte("column|"+column))
		p, _ = c.columns.LoadOrStore(column, &sync.Pool{New: func() any { return gm.NewHMACSM3(k) }})
	}
	pool := p.(*sync.Pool)
	h := pool.Get().(hash.Hash)
	h.Reset()
	h.Write(Normalize(value))
	var sum [gm.SM3Size]byte
	out := h.Sum(sum[:0])
	pool.Put(h)
	return append([]byte(nil), out[:BlindSize]...)
}
