package ssotoken

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

func TestTokensVerifyOnlyWhenSignedForThisAudienceAndInTime(t *testing.T) {
	key, _ := gm.GenerateKey()
	other, _ := gm.GenerateKey()
	now := time.Unix(1_780_000_000, 0)
	tok, c, err := Issue(key, Claims{Issuer: "pbx", Audience: "oa", Tenant: "demo", Subject: "u1", Name: "agent1", Roles: []string{"agent"}, Agent: "a1001"}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(&key.PublicKey, tok, "oa", now.Add(time.Minute))
	if err != nil || got.Tenant != "demo" || got.Agent != "a1001" || got.ID != c.ID || got.Expires != now.Add(MaxLifetime).Unix() {
		t.Fatalf("%+v %v", got, err)
	}
	body, sig, _ := strings.Cut(tok, ".")
	forgedTok, _, _ := Issue(other, Claims{Audience: "oa", Tenant: "demo", Subject: "u1"}, now)
	_, forgedSig, _ := strings.Cut(forgedTok, ".")
	acme, _, _ := Issue(key, Claims{Audience: "oa", Tenant: "acme", Subject: "u1"}, now)
	acmeBody, _, _ := strings.Cut(acme, ".")
	for name, tc := range map[string]struct {
		tok, aud string
		at       time.Time
	}{
		"expired":                  {tok, "oa", now.Add(MaxLifetime)},
		"wrong audience":           {tok, "wallboard", now},
		"signed by another key":    {forgedTok, "oa", now},
		"another key's signature":  {body + "." + forgedSig, "oa", now},
		"tenant swapped in":        {acmeBody + "." + sig, "oa", now},
		"not a token":              {"hello", "oa", now},
		"garbage":                  {"!!.??", "oa", now},
		"issued in the far future": {tok, "oa", now.Add(-time.Hour)},
	} {
		if _, err := Verify(&key.PublicKey, tc.tok, tc.aud, tc.at); !errors.Is(err, ErrRejected) || !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A lifetime asked for beyond the maximum is cut to it.
	_, c, _ = Issue(key, Claims{Audience: "oa", Tenant: "demo", Subject: "u1", Expires: now.Add(time.Hour).Unix()}, now)
	if c.Expires != now.Add(MaxLifetime).Unix() {
		t.Errorf("expires %d", c.Expires)
	}
}

func FuzzVerify(f *testing.F) {
	key, _ := gm.GenerateKey()
	now := time.Unix(1_780_000_000, 0)
	tok, issued, _ := Issue(key, Claims{Audience: "oa", Tenant: "demo", Subject: "u1"}, now)
	f.Add(tok)
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Verify(&key.PublicKey, s, "oa", now)
		// Only the issued claims verify (base64 may spell them more than one way).
		if err == nil && (c.ID != issued.ID || c.Tenant != issued.Tenant || c.Subject != issued.Subject) {
			t.Fatalf("verified a token never issued: %q %+v", s, c)
		}
	})
}
