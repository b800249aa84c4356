package gm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	"github.com/emmansun/gmsm/sm2"

	"github.com/yimen/yimen/internal/errs"
)

// PrivateKey is an SM2 private key.
type PrivateKey = sm2.PrivateKey

// PublicKey is an SM2 public key (an ECDSA key on the SM2 curve).
type PublicKey = ecdsa.PublicKey

// DefaultUID is the signer ID GB/T 35276 prescribes when none is agreed;
// Sign and Verify use it when uid is empty.
const DefaultUID = "1234567812345678"

// GenerateKey returns a new SM2 key pair.
func GenerateKey() (*PrivateKey, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gm: generate SM2 key: %w", err)
	}
	return k, nil
}

// PrivateKeyFromBytes builds an SM2 private key from its 32-byte scalar.
func PrivateKeyFromBytes(d []byte) (*PrivateKey, error) {
	k, err := sm2.NewPrivateKey(d)
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 private key: %w", errs.ErrInvalid)
	}
	return k, nil
}

// Sign signs msg with SM2 (Z_A computed over uid, then SM3) and returns the
// ASN.1 DER encoding of (r, s).
func Sign(priv *PrivateKey, uid, msg []byte) ([]byte, error) {
	if priv == nil {
		return nil, fmt.Errorf("gm: nil SM2 key: %w", errs.ErrInvalid)
	}
	sig, err := priv.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, uidOrDefault(uid)))
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 sign: %w", err)
	}
	return sig, nil
}

// Verify reports whether sig is a valid ASN.1 SM2 signature of msg by pub
// under signer ID uid.
func Verify(pub *PublicKey, uid, msg, sig []byte) bool {
	if !isSM2(pub) {
		return false
	}
	return sm2.VerifyASN1WithSM2(pub, uidOrDefault(uid), msg, sig)
}

func uidOrDefault(uid []byte) []byte {
	if len(uid) == 0 {
		return []byte(DefaultUID)
	}
	return uid
}

func isSM2(pub *PublicKey) bool { return pub != nil && sm2.IsSM2PublicKey(pub) }

// ParsePublicKey parses an uncompressed SM2 point (0x04 || X || Y, 65 bytes),
// the form browser and hardware-token clients send when registering a key.
func ParsePublicKey(raw []byte) (*PublicKey, error) { return parseUncompressed(raw) }

// MarshalPublicKey returns pub as an uncompressed point (0x04 || X || Y).
func MarshalPublicKey(pub *PublicKey) []byte {
	out := make([]byte, 65)
	out[0] = 4
	pub.X.FillBytes(out[1:33])
	pub.Y.FillBytes(out[33:])
	return out
}

func parseUncompressed(raw []byte) (*PublicKey, error) {
	if len(raw) != 65 || raw[0] != 4 {
		return nil, fmt.Errorf("gm: SM2 public key must be a 65-byte uncompressed point: %w", errs.ErrInvalid)
	}
	pub, err := sm2.NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 public key not on curve: %w", errs.ErrInvalid)
	}
	return pub, nil
}
