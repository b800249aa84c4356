package keys

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// EnvMasterKey is the environment variable read when no key file is given.
const EnvMasterKey = "YIMEN_MASTER_KEY"

// MasterKey is the owner's key-encryption key. It prints and logs only as
// its fingerprint.
type MasterKey struct {
	id  string
	key []byte
}

// GenerateMasterKey returns a new random master key as hex text, the form
// LoadMasterKeyFile and YIMEN_MASTER_KEY accept.
func GenerateMasterKey() string { return hex.EncodeToString(gm.RandomBytes(gm.KeySize)) }

// ParseMasterKey parses a 16-byte key written as hex or base64 (standard or
// URL alphabet, padded or not); surrounding white space is ignored. Errors
// never quote the input.
func ParseMasterKey(text string) (*MasterKey, error) {
	s := strings.TrimSpace(text)
	var raw []byte
	switch {
	case len(s) == 2*gm.KeySize:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("keys: master key: 32 characters but not hex: %w", errs.ErrInvalid)
		}
		raw = b
	default:
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && len(b) == gm.KeySize {
				raw = b
				break
			}
		}
		if raw == nil {
			return nil, fmt.Errorf("keys: master key must be %d bytes as hex (32 chars) or base64 (%d chars given): %w", gm.KeySize, len(s), errs.ErrInvalid)
		}
	}
	return newMasterKey(raw), nil
}

func newMasterKey(raw []byte) *MasterKey {
	// The fingerprint is a MAC of a constant under the key: it identifies
	// the key without revealing any of it.
	id := hex.EncodeToString(gm.HMACSM3(raw, []byte("yimen master key id"))[:8])
	return &MasterKey{id: id, key: raw}
}

// LoadMasterKeyFile reads a master key from path, refusing a file that is
// not a regular file or that group or others may read or write.
func LoadMasterKeyFile(path string) (*MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: master key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: master key file %s is not a regular file: %w", path, errs.ErrInvalid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("keys: refusing master key file %s with mode %04o: it must be 0600 (run: chmod 600 %s): %w", path, perm, path, errs.ErrForbidden)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("keys: master key file: %w", err)
	}
	k, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// LoadMasterKey loads the key from path when it is non-empty, otherwise from
// the YIMEN_MASTER_KEY variable looked up with getenv (os.Getenv in main).
func LoadMasterKey(path string, getenv func(string) string) (*MasterKey, error) {
	if path != "" {
		return LoadMasterKeyFile(path)
	}
	v := getenv(EnvMasterKey)
	if v == "" {
		return nil, fmt.Errorf("keys: no master key: set a key file or %s: %w", EnvMasterKey, errs.ErrNotFound)
	}
	k, err := ParseMasterKey(v)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, EnvMasterKey)
	}
	return k, nil
}

// ID is the key's public fingerprint, recorded beside every wrapped data key.
func (m *MasterKey) ID() string { return m.id }

// String shows only the fingerprint.
func (m *MasterKey) String() string { return "master-key:" + m.id }

// GoString shows only the fingerprint, also under %#v.
func (m *MasterKey) GoString() string { return m.String() }

// LogValue keeps the key out of slog output.
func (m *MasterKey) LogValue() slog.Value { return slog.StringValue(m.String()) }
