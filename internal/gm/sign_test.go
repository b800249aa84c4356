package gm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

func TestSignVerifyAndPEMRoundTrip(t *testing.T) {
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("audit head 1234")
	uid := []byte("yimen-audit")
	sig, err := Sign(priv, uid, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(&priv.PublicKey, uid, msg, sig) {
		t.Fatal("own signature does not verify")
	}
	other, _ := GenerateKey()
	if Verify(&other.PublicKey, uid, msg, sig) {
		t.Fatal("verified under another key")
	}
	if Verify(nil, uid, msg, sig) {
		t.Fatal("nil key verified")
	}

	privPEM, err := EncodePrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := EncodePublicKeyPEM(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	priv2, err := DecodePrivateKeyPEM(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := DecodePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if priv2.D.Cmp(priv.D) != 0 || !pub2.Equal(&priv.PublicKey) {
		t.Fatal("PEM round trip changed the key")
	}
	sig2, _ := Sign(priv2, uid, msg)
	if !Verify(pub2, uid, msg, sig2) {
		t.Fatal("decoded keys do not sign/verify")
	}
	if _, err := DecodePrivateKeyPEM(pubPEM); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("public PEM as private: %v", err)
	}
	if _, err := DecodePublicKeyPEM([]byte("junk")); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("junk: %v", err)
	}
	if bytes.Contains(privPEM, []byte("BEGIN PUBLIC")) {
		t.Fatal("private PEM has wrong type")
	}
}

func FuzzDecodePEM(f *testing.F) {
	priv, _ := GenerateKey()
	privPEM, _ := EncodePrivateKeyPEM(priv)
	pubPEM, _ := EncodePublicKeyPEM(&priv.PublicKey)
	f.Add(privPEM)
	f.Add(pubPEM)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := DecodePrivateKeyPEM(b); err == nil {
			if _, err := Sign(k, nil, []byte("m")); err != nil {
				t.Fatalf("decoded private key cannot sign: %v", err)
			}
		} else if !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("private err %v not ErrInvalid", err)
		}
		if _, err := DecodePublicKeyPEM(b); err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("public err %v not ErrInvalid", err)
		}
	})
}
