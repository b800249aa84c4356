package oaapi

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// A knowledge token holds while it is unexpired and exactly as minted by
// this process's key: another key, an altered claim or signature, or an
// expired one is refused.
func TestBarTokensAreSignedAndExpire(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := newBarTokens()
	tok := b.mint(barClaims{Tenant: "demo", UserID: "u1", Expires: now.Add(barTokenTTL).Unix()})
	c, err := b.check(tok, now)
	if err != nil || c.Tenant != "demo" || c.UserID != "u1" {
		t.Fatalf("fresh token: %+v %v", c, err)
	}
	if _, err := b.check(tok, now.Add(barTokenTTL)); !errors.Is(err, errBarExpired) {
		t.Errorf("at its expiry: %v", err)
	}
	if _, err := newBarTokens().check(tok, now); !errors.Is(err, errBarToken) {
		t.Errorf("another process's key took it: %v", err)
	}
	// The claims swapped for another user's, the signature kept.
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"t":"demo","u":"admin","e":9999999999}`)) + "." + parts[2]
	if _, err := b.check(forged, now); !errors.Is(err, errBarToken) {
		t.Errorf("altered claims taken: %v", err)
	}
	// A signed token whose claims name no user is no token either.
	if _, err := b.check(b.mint(barClaims{Tenant: "demo", Expires: now.Add(time.Minute).Unix()}), now); !errors.Is(err, errBarToken) {
		t.Errorf("a token without a user: %v", err)
	}
}

// FuzzBarToken: no input makes check panic, and none but a minted token
// passes.
func FuzzBarToken(f *testing.F) {
	b := newBarTokens()
	now := time.Unix(1_800_000_000, 0)
	good := b.mint(barClaims{Tenant: "demo", UserID: "u1", Expires: now.Add(time.Minute).Unix()})
	for _, s := range []string{good, "", "kbt.", "kbt..", "kbt.e30.", good + "x", strings.ToUpper(good), "Bearer " + good} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := b.check(s, now)
		if err == nil && s != good {
			t.Fatalf("%q passed as %+v", s, c)
		}
	})
}

// A signature's last character with other unused low bits decodes to the
// same bytes under lax base64: the token is refused all the same.
func TestBarTokenSignatureSpelledOnlyOneWay(t *testing.T) {
	b := newBarTokens()
	now := time.Unix(1_800_000_000, 0)
	tok := b.mint(barClaims{Tenant: "demo", UserID: "u1", Expires: now.Add(time.Minute).Unix()})
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	for i := 1; i < 4; i++ { // a 32-byte signature leaves 2 unused bits in its last character
		other := tok[:len(tok)-1] + string(alphabet[last^i])
		if _, err := b.check(other, now); err == nil {
			t.Errorf("%q passed as %q", other, tok)
		}
	}
}
