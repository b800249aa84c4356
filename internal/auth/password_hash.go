package auth

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// Password hashes are self-describing strings:
//
//	$pbkdf2-sm3$<iterations>$<salt, base64 raw std>$<32-byte key, base64 raw std>
//
// so the cost can be raised later and old hashes still verify (and are
// re-hashed at the next successful login).

const hashScheme = "pbkdf2-sm3"

const (
	saltLen = 16
	keyLen  = 32
	maxIter = 10_000_000
)

var b64 = base64.RawStdEncoding

// HashPassword returns the self-describing PBKDF2-HMAC-SM3 hash of password.
func HashPassword(password string, iterations int) string {
	salt := gm.RandomBytes(saltLen)
	dk := gm.PBKDF2SM3([]byte(password), salt, iterations, keyLen)
	return "$" + hashScheme + "$" + strconv.Itoa(iterations) + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(dk)
}

// ParsedHash is the decoded form of a password hash string.
type ParsedHash struct {
	Iterations int
	Salt, Key  []byte
}

// ParseHash decodes a hash produced by HashPassword.
func ParseHash(s string) (ParsedHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != hashScheme {
		return ParsedHash{}, fmt.Errorf("auth: not a %s hash: %w", hashScheme, errs.ErrInvalid)
	}
	iter, err := strconv.Atoi(parts[2])
	if err != nil || iter < 1 || iter > maxIter || strconv.Itoa(iter) != parts[2] {
		return ParsedHash{}, fmt.Errorf("auth: bad iteration count: %w", errs.ErrInvalid)
	}
	salt, err := b64.DecodeString(parts[3])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return ParsedHash{}, fmt.Errorf("auth: bad salt: %w", errs.ErrInvalid)
	}
	key, err := b64.DecodeString(parts[4])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return ParsedHash{}, fmt.Errorf("auth: bad hash: %w", errs.ErrInvalid)
	}
	return ParsedHash{Iterations: iter, Salt: salt, Key: key}, nil
}

// VerifyPassword reports whether password matches hash, in time that does
// not depend on where they differ.
func VerifyPassword(hash, password string) bool {
	p, err := ParseHash(hash)
	if err != nil {
		return false
	}
	dk := gm.PBKDF2SM3([]byte(password), p.Salt, p.Iterations, len(p.Key))
	return gm.HMACSM3Equal(dk, p.Key)
}

// needsRehash reports whether hash was made with fewer iterations than now asked.
func needsRehash(hash string, iterations int) bool {
	p, err := ParseHash(hash)
	return err != nil || p.Iterations < iterations
}
