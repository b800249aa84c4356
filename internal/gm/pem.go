package gm

import (
	"encoding/pem"
	"fmt"

	"github.com/emmansun/gmsm/smx509"

	"github.com/yimen/yimen/internal/errs"
)

// EncodePrivateKeyPEM returns priv as an unencrypted PKCS#8 "PRIVATE KEY"
// PEM block. Store it only where file permissions protect it.
func EncodePrivateKeyPEM(priv *PrivateKey) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("gm: marshal SM2 private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// DecodePrivateKeyPEM parses the first PEM block of b as a PKCS#8 SM2 private key.
func DecodePrivateKeyPEM(b []byte) (*PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("gm: no PRIVATE KEY PEM block: %w", errs.ErrInvalid)
	}
	k, err := smx509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gm: parse PKCS#8: %w", errs.ErrInvalid)
	}
	priv, ok := k.(*PrivateKey)
	if !ok {
		return nil, fmt.Errorf("gm: PKCS#8 key is %T, not SM2: %w", k, errs.ErrInvalid)
	}
	return priv, nil
}

// EncodePublicKeyPEM returns pub as a PKIX "PUBLIC KEY" PEM block.
func EncodePublicKeyPEM(pub *PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("gm: marshal SM2 public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// DecodePublicKeyPEM parses the first PEM block of b as a PKIX SM2 public key.
func DecodePublicKeyPEM(b []byte) (*PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("gm: no PUBLIC KEY PEM block: %w", errs.ErrInvalid)
	}
	k, err := smx509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gm: parse PKIX: %w", errs.ErrInvalid)
	}
	pub, ok := k.(*PublicKey)
	if !ok || !isSM2(pub) {
		return nil, fmt.Errorf("gm: PKIX key is not SM2: %w", errs.ErrInvalid)
	}
	return pub, nil
}
