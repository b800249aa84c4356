package registrar

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Digest algorithm names as they appear on the wire.
const (
	AlgMD5    = "MD5"
	AlgSHA256 = "SHA-256"
)

// Credentials hold an account's precomputed HA1 values; the clear password is
// not kept once these are derived.
type Credentials struct {
	HA1MD5    string
	HA1SHA256 string
}

// NewCredentials derives the HA1 values for user in realm.
func NewCredentials(user, realm, password string) Credentials {
	return Credentials{
		HA1MD5:    hexHash(md5.New(), user+":"+realm+":"+password),
		HA1SHA256: hexHash(sha256.New(), user+":"+realm+":"+password),
	}
}

func (c Credentials) ha1(alg string) string {
	if alg == AlgSHA256 {
		return c.HA1SHA256
	}
	return c.HA1MD5
}

func hexHash(h hash.Hash, s string) string {
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

func newHash(alg string) hash.Hash {
	if alg == AlgSHA256 {
		return sha256.New()
	}
	return md5.New()
}

// Outcome of checking digest credentials.
type Outcome int

const (
	// OutcomeOK: the response matches.
	OutcomeOK Outcome = iota
	// OutcomeNoCredentials: no usable header for our realm; challenge, no failure counted.
	OutcomeNoCredentials
	// OutcomeStale: the nonce was ours but expired, or it was answered before
	// with the same nonce count (a replay); challenge with stale=true (a
	// client re-authenticates at once), no failure counted.
	OutcomeStale
	// OutcomeBadNonce: the nonce is not one we issued to this address (e.g.
	// before a restart, or answered from elsewhere); challenge, no failure counted.
	OutcomeBadNonce
	// OutcomeFailed: wrong password or unknown user; counted as an authentication failure.
	OutcomeFailed
)

// nonceSealer issues and checks nonces: time || random || MAC over both and
// the address the challenge was sent to. A nonce answered from another
// address is not ours: a sniffed Authorization replayed from elsewhere, or
// a forged failure in a victim's name, gets a fresh challenge sent to the
// victim and counts nothing against it.
type nonceSealer struct {
	key  []byte
	ttl  time.Duration
	macs sync.Pool // of HMAC-SHA256 keyed with key: two a registration, each 5 allocations to make
}

func newNonceSealer(ttl time.Duration) (*nonceSealer, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("registrar: nonce key: %w", err)
	}
	n := &nonceSealer{key: key, ttl: ttl}
	n.macs.New = func() any { return hmac.New(sha256.New, key) }
	return n, nil
}

const nonceRaw = 8 + 8 + 16

// mac is the nonce's tag over its time and random part and the address
// it is issued to.
func (n *nonceSealer) mac(b []byte, to netip.Addr) [16]byte {
	m := n.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(b[:16])
	ip := to.Unmap().As16()
	m.Write(ip[:])
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	n.macs.Put(m)
	return [16]byte(sum[:16])
}

// issue makes a nonce for a challenge sent to the address to.
func (n *nonceSealer) issue(now time.Time, to netip.Addr) string {
	var b [nonceRaw]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Unix()))
	_, _ = rand.Read(b[8:16])
	tag := n.mac(b[:], to)
	copy(b[16:], tag[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// check reports whether nonce was issued by us to the address from, whether
// it is still fresh, and when it was issued.
func (n *nonceSealer) check(nonce string, now time.Time, from netip.Addr) (ours, fresh bool, issued time.Time) {
	if len(nonce) != base64.RawURLEncoding.EncodedLen(nonceRaw) {
		return false, false, time.Time{}
	}
	var b [nonceRaw]byte
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(nonce)); err != nil {
		return false, false, time.Time{}
	}
	if tag := n.mac(b[:], from); !hmac.Equal(tag[:], b[16:]) {
		return false, false, time.Time{}
	}
	issued = time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	age := now.Sub(issued)
	return true, age >= -time.Minute && age <= n.ttl, issued
}

// challenge builds the value of one WWW-Authenticate / Proxy-Authenticate header.
func challenge(realm, nonce, alg string, stale bool) string {
	var b strings.Builder
	b.WriteString(`Digest realm="`)
	b.WriteString(realm)
	b.WriteString(`", nonce="`)
	b.WriteString(nonce)
	b.WriteString(`", algorithm=`)
	b.WriteString(alg)
	b.WriteString(`, qop="auth"`)
	if stale {
		b.WriteString(", stale=true")
	}
	return b.String()
}

var errUnsupportedAlg = errors.New("unsupported algorithm")

// verify computes the expected response for c and compares it in constant
// time. The hashes are taken over a buffer on the stack: at thousands of
// REGISTERs a second the hash objects and hex strings were a sixth of the
// registrar's allocations.
func verify(c credentials, method string, creds Credentials) (bool, error) {
	alg := c.Algorithm
	if alg == "" || strings.EqualFold(alg, AlgMD5) {
		alg = AlgMD5
	} else if strings.EqualFold(alg, AlgSHA256) {
		alg = AlgSHA256
	} else {
		return false, errUnsupportedAlg
	}
	var buf [512]byte
	var ha2, expected [64]byte
	m := append(append(append(buf[:0], method...), ':'), c.URI...)
	h2 := sumHex(alg, &ha2, m)
	m = append(append(append(append(buf[:0], creds.ha1(alg)...), ':'), c.Nonce...), ':')
	switch c.QOP {
	case "":
	case "auth":
		if c.NC == "" || c.CNonce == "" {
			return false, ErrBadAuthHeader
		}
		m = append(append(append(append(m, c.NC...), ':'), c.CNonce...), ":auth:"...)
	default:
		return false, ErrBadAuthHeader
	}
	m = append(m, h2...)
	return subtle.ConstantTimeCompare(sumHex(alg, &expected, m), []byte(c.Response)) == 1, nil
}

// sumHex writes the lowercase hex of alg's hash of msg into dst and
// returns that part of it.
func sumHex(alg string, dst *[64]byte, msg []byte) []byte {
	if alg == AlgSHA256 {
		sum := sha256.Sum256(msg)
		hex.Encode(dst[:], sum[:])
		return dst[:2*sha256.Size]
	}
	sum := md5.Sum(msg)
	hex.Encode(dst[:], sum[:])
	return dst[:2*md5.Size]
}
