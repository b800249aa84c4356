package gm

import (
	"crypto/cipher"
	"fmt"

	"github.com/emmansun/gmsm/sm4"

	"github.com/yimen/yimen/internal/errs"
)

const (
	// KeySize is the SM4 key length in bytes.
	KeySize = sm4.BlockSize
	// NonceSize is the SM4-GCM nonce length used everywhere in yimen.
	NonceSize = 12
	// TagSize is the SM4-GCM authentication tag length.
	TagSize = 16
	// Overhead is what Seal adds to a plaintext: nonce plus tag.
	Overhead = NonceSize + TagSize
)

// NewAEAD returns SM4-GCM keyed with key (12-byte nonces, 16-byte tags).
// Callers that seal many values under one key keep the AEAD instead of
// calling Seal, which re-expands the key schedule each time.
func NewAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("gm: SM4 key must be %d bytes, got %d: %w", KeySize, len(key), errs.ErrInvalid)
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("gm: SM4 key: %w", errs.ErrInvalid)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts and authenticates plaintext and aad with SM4-GCM under key,
// returning a fresh random nonce followed by ciphertext and tag.
func Seal(key, plaintext, aad []byte) ([]byte, error) {
	a, err := NewAEAD(key)
	if err != nil {
		return nil, err
	}
	return SealAEAD(a, nil, plaintext, aad)
}

// Open reverses Seal. Any mismatch of key, aad or bytes yields an error
// wrapping errs.ErrInvalid that says only "authentication failed".
func Open(key, sealed, aad []byte) ([]byte, error) {
	a, err := NewAEAD(key)
	if err != nil {
		return nil, err
	}
	return OpenAEAD(a, nil, sealed, aad)
}

// SealAEAD appends nonce||ciphertext||tag to dst using a, with a random nonce.
func SealAEAD(a cipher.AEAD, dst, plaintext, aad []byte) ([]byte, error) {
	n := len(dst)
	dst = growSlice(dst, NonceSize+len(plaintext)+a.Overhead())
	nonce := dst[n : n+NonceSize]
	fillRandom(nonce)
	return a.Seal(dst[:n+NonceSize], nonce, plaintext, aad), nil
}

// OpenAEAD appends the plaintext of nonce||ciphertext||tag to dst using a.
func OpenAEAD(a cipher.AEAD, dst, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < NonceSize+a.Overhead() {
		return nil, errAuth
	}
	out, err := a.Open(dst, sealed[:NonceSize], sealed[NonceSize:], aad)
	if err != nil {
		return nil, errAuth
	}
	return out, nil
}

// SealWithNonce encrypts with a caller-chosen nonce and returns
// ciphertext||tag without the nonce. A nonce must never repeat under one key;
// it exists for test vectors and for schemes that derive unique nonces.
func SealWithNonce(key, nonce, plaintext, aad []byte) ([]byte, error) {
	a, err := NewAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("gm: nonce must be %d bytes: %w", NonceSize, errs.ErrInvalid)
	}
	return a.Seal(nil, nonce, plaintext, aad), nil
}

// OpenWithNonce reverses SealWithNonce.
func OpenWithNonce(key, nonce, ciphertext, aad []byte) ([]byte, error) {
	a, err := NewAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("gm: nonce must be %d bytes: %w", NonceSize, errs.ErrInvalid)
	}
	out, err := a.Open(nil, nonce, ciphertext, aad)
	if err != nil {
		return nil, errAuth
	}
	return out, nil
}

var errAuth = fmt.Errorf("gm: authentication failed: %w", errs.ErrInvalid)

// growSlice returns b extended to len(b)+n, reallocating only when needed.
func growSlice(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n)
	copy(nb, b)
	return nb
}
