package ssotoken

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// signerID is the SM2 user id the signature is bound to: a signature made
// for anything else (an audit head, a login challenge) never verifies here.
var signerID = []byte("yimen-sso-v1")

// MaxLifetime is the longest a token may live: it is handed from one page
// to another, not kept.
const MaxLifetime = 5 * time.Minute

// Claims are what a token says.
type Claims struct {
	Issuer   string   `json:"iss"`
	Audience string   `json:"aud"`
	Tenant   string   `json:"tenant"`
	Subject  string   `json:"sub"`  // the user's id at the issuer
	Name     string   `json:"name"` // login name
	Roles    []string `json:"roles"`
	Agent    string   `json:"agent,omitempty"`
	IssuedAt int64    `json:"iat"` // Unix seconds
	Expires  int64    `json:"exp"`
	ID       string   `json:"jti"` // single use
}

// ErrRejected wraps every reason a token is refused.
var ErrRejected = fmt.Errorf("sso token refused: %w", errs.ErrForbidden)

// Issue signs c, filling ID and IssuedAt and bounding Expires.
func Issue(key *gm.PrivateKey, c Claims, now time.Time) (string, Claims, error) {
	if c.Audience == "" || c.Tenant == "" || c.Subject == "" {
		return "", Claims{}, fmt.Errorf("sso token needs audience, tenant and subject: %w", errs.ErrInvalid)
	}
	c.IssuedAt = now.Unix()
	if c.Expires == 0 || c.Expires > now.Add(MaxLifetime).Unix() {
		c.Expires = now.Add(MaxLifetime).Unix()
	}
	c.ID = hex.EncodeToString(gm.RandomBytes(16))
	body, err := json.Marshal(c)
	if err != nil {
		return "", Claims{}, err
	}
	sig, err := gm.Sign(key, signerID, body)
	if err != nil {
		return "", Claims{}, err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(body) + "." + enc.EncodeToString(sig), c, nil
}

// Verify checks a token's signature against pub, its audience and its
// time; the caller checks the tenant is one it serves and that the ID was
// not used before.
func Verify(pub *gm.PublicKey, token, audience string, now time.Time) (Claims, error) {
	if len(token) > 8<<10 {
		return Claims{}, fmt.Errorf("%w: too long", ErrRejected)
	}
	b64, s64, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, fmt.Errorf("%w: not claims.signature", ErrRejected)
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	sig, err2 := enc.DecodeString(s64)
	if err := errors.Join(err1, err2); err != nil {
		return Claims{}, fmt.Errorf("%w: not base64url", ErrRejected)
	}
	if !gm.Verify(pub, signerID, body, sig) {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrRejected)
	}
	var c Claims
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrRejected, err)
	}
	switch t := now.Unix(); {
	case c.Audience != audience:
		return Claims{}, fmt.Errorf("%w: for %q, not %q", ErrRejected, c.Audience, audience)
	case c.Tenant == "" || c.Subject == "" || c.ID == "":
		return Claims{}, fmt.Errorf("%w: tenant, subject or id missing", ErrRejected)
	case t >= c.Expires:
		return Claims{}, fmt.Errorf("%w: expired", ErrRejected)
	case c.Expires-c.IssuedAt > int64(MaxLifetime/time.Second) || c.IssuedAt > t+30:
		return Claims{}, fmt.Errorf("%w: lifetime out of bounds", ErrRejected)
	}
	return c, nil
}
