package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// CheckPrivateFile refuses a secret file that group or others may read or
// write.
func CheckPrivateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o: group and others must have no access (chmod 600)", path, perm)
	}
	return nil
}

// WritePrivateFile creates path (mode 0600, its directory 0700) with data;
// it never overwrites an existing file.
func WritePrivateFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadOrCreateSigningKey reads an SM2 signing key (PEM, which must be
// private to its owner), creating it (0600) and its public key (path.pub,
// 0644) when the file does not exist. The PBX's and the OA's audit signing
// keys and the PBX's one-login key are such files.
func LoadOrCreateSigningKey(path string) (*gm.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if err := CheckPrivateFile(path); err != nil {
			return nil, fmt.Errorf("%w: %w", err, errs.ErrInvalid)
		}
		return gm.DecodePrivateKeyPEM(b)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err := gm.GenerateKey()
	if err != nil {
		return nil, err
	}
	priv, err := gm.EncodePrivateKeyPEM(k)
	if err != nil {
		return nil, err
	}
	pub, err := gm.EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := WritePrivateFile(path, priv); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".pub", pub, 0o644); err != nil {
		return nil, err
	}
	return k, nil
}
