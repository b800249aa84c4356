package pbx

import (
	"context"
	"crypto/rand"
	"fmt"
	"github.com/yimen/yimen/pbx/pbxstore"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// secretAlphabet avoids look-alike characters so a person can type it into a phone.
const secretAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newSecret() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(secretAlphabet)))
	for i := 0; i < 16; i++ {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(secretAlphabet[n.Int64()])
	}
	return b.String(), nil
}

func (s *Server) rotateSecret(ctx context.Context, tenant, ext string) (string, error) {
	return s.setSecret(ctx, tenant, ext, "")
}

// setSecret stores secret (a fresh random one when empty) for an extension.
func (s *Server) setSecret(ctx context.Context, tenant, ext, secret string) (string, error) {
	if secret == "" {
		var err error
		if secret, err = newSecret(); err != nil {
			return "", err
		}
	}
	if err := s.store.PutAccount(ctx, accountOf(tenant, ext, secret), s.now()); err != nil {
		return "", err
	}
	s.dir.setSecret(tenant, ext, secret)
	return secret, nil
}

// Credential is a demo extension's SIP login.
type Credential struct {
	Tenant, Ext, Secret string
}

// ProvisionDemo gives every configured extension without an account a fresh
// secret and writes all newly created ones to path (mode 0600) as
// "EXT PASSWORD" lines. Existing secrets are never shown again.
func (s *Server) ProvisionDemo(ctx context.Context, path string) ([]Credential, error) {
	var created []Credential
	for _, t := range s.cfg.Tenants {
		exts, err := t.ExtensionList()
		if err != nil {
			return nil, err
		}
		for _, e := range exts {
			if s.dir.hasAccount(t.Name, e) {
				continue
			}
			secret, err := s.rotateSecret(ctx, t.Name, e)
			if err != nil {
				return nil, err
			}
			created = append(created, Credential{t.Name, e, secret})
		}
	}
	if len(created) == 0 || path == "" {
		return created, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, c := range created {
		fmt.Fprintf(&b, "%s %s\n", c.Ext, c.Secret)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("pbx: write credentials: %w", err)
	}
	return created, os.Chmod(path, 0o600)
}

func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pbx: rtp.bind_ip: %w", err)
	}
	return a, nil
}

func accountOf(tenant, ext, secret string) pbxstore.Account {
	return pbxstore.Account{Tenant: tenant, Ext: ext, Secret: secret}
}
