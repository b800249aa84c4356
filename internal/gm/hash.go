package gm

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/binary"
	"hash"

	"github.com/emmansun/gmsm/sm3"
)

// SM3Size is the length in bytes of an SM3 digest and of an HMAC-SM3 tag.
const SM3Size = sm3.Size

// SM3 returns the SM3 digest of b.
func SM3(b []byte) [32]byte { return sm3.Sum(b) }

// NewSM3 returns a streaming SM3 hash.
func NewSM3() hash.Hash { return sm3.New() }

// HMACSM3 returns HMAC-SM3(key, msg).
func HMACSM3(key, msg []byte) []byte {
	m := hmac.New(sm3.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// NewHMACSM3 returns a streaming HMAC-SM3 keyed with key; reuse it with Reset
// on hot paths to avoid re-deriving the pads.
func NewHMACSM3(key []byte) hash.Hash { return hmac.New(sm3.New, key) }

// HMACSM3Equal compares two tags in constant time.
func HMACSM3Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// PBKDF2SM3 derives keyLen bytes from password and salt with PBKDF2 (RFC 8018)
// using HMAC-SM3 as the PRF. iter below 1 is treated as 1; keyLen below 1
// yields nil.
func PBKDF2SM3(password, salt []byte, iter, keyLen int) []byte {
	if keyLen < 1 {
		return nil
	}
	if iter < 1 {
		iter = 1
	}
	prf := hmac.New(sm3.New, password)
	out := make([]byte, 0, keyLen+SM3Size)
	var u, t [SM3Size]byte
	var idx [4]byte
	for block := uint32(1); len(out) < keyLen; block++ {
		prf.Reset()
		prf.Write(salt)
		binary.BigEndian.PutUint32(idx[:], block)
		prf.Write(idx[:])
		prf.Sum(u[:0])
		t = u
		for i := 1; i < iter; i++ {
			prf.Reset()
			prf.Write(u[:])
			prf.Sum(u[:0])
			subtle.XORBytes(t[:], t[:], u[:])
		}
		out = append(out, t[:]...)
	}
	return out[:keyLen]
}
