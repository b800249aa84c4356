package keys

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// VersionSize is the length of the key-version prefix Keyring.Seal writes.
const VersionSize = 4

// Overhead is what Keyring.Seal adds to a plaintext.
const Overhead = VersionSize + gm.Overhead

// Keyring holds every version of one named data key. It seals with the
// newest version and opens with whichever version a ciphertext names. It is
// safe for concurrent use; the Store adds versions to it in place.
type Keyring struct {
	name string

	mu       sync.RWMutex
	aeads    map[uint32]cipher.AEAD
	current  uint32
	first    []byte // oldest version's raw key; root for DeriveKey
	firstVer uint32
}

func newKeyring(name string) *Keyring {
	return &Keyring{name: name, aeads: map[uint32]cipher.AEAD{}}
}

func (k *Keyring) add(version uint32, raw []byte) error {
	a, err := gm.NewAEAD(raw)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.aeads[version] = a
	if version > k.current {
		k.current = version
	}
	if k.first == nil || version < k.firstVer {
		k.first = append([]byte(nil), raw...)
		k.firstVer = version
	}
	return nil
}

// Name is the data key's name, e.g. "pbx.cdr".
func (k *Keyring) Name() string { return k.name }

// Version is the version new ciphertexts are sealed with.
func (k *Keyring) Version() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return int(k.current)
}

// Seal encrypts plaintext bound to aad under the newest version and returns
// version(4, big-endian) || nonce || ciphertext || tag.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	k.mu.RLock()
	v, a := k.current, k.aeads[k.current]
	k.mu.RUnlock()
	if a == nil {
		return nil, fmt.Errorf("keys: keyring %s is empty: %w", k.name, errs.ErrUnavailable)
	}
	out := make([]byte, VersionSize, Overhead+len(plaintext))
	binary.BigEndian.PutUint32(out, v)
	return gm.SealAEAD(a, out, plaintext, aad)
}

// Open decrypts what Seal produced with any version still in the ring.
// A wrong aad, a tampered byte or an unknown version all fail with an error
// wrapping errs.ErrInvalid.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("keys: %s: authentication failed: %w", k.name, errs.ErrInvalid)
	}
	v := binary.BigEndian.Uint32(sealed)
	k.mu.RLock()
	a := k.aeads[v]
	k.mu.RUnlock()
	if a == nil {
		return nil, fmt.Errorf("keys: %s: unknown key version %d: %w", k.name, v, errs.ErrInvalid)
	}
	pt, err := gm.OpenAEAD(a, nil, sealed[VersionSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", k.name, err)
	}
	return pt, nil
}

// DeriveKey returns a 32-byte sub-key for label, derived with HMAC-SM3 from
// the ring's oldest version. It is stable across data-key rotation, which is
// what a blind index or a MAC key stored in rows needs; callers must keep it
// out of logs like any key.
func (k *Keyring) DeriveKey(label string) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.first == nil {
		return nil
	}
	return gm.HMACSM3(k.first, []byte("yimen derive|"+k.name+"|"+label))
}

// String names the ring without key material.
func (k *Keyring) String() string { return fmt.Sprintf("keyring:%s@v%d", k.name, k.Version()) }

// LogValue keeps keys out of slog output.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }
