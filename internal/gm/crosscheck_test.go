package gm

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"

	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjsm3 "github.com/tjfoc/gmsm/sm3"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// These tests check this package against an independent implementation so a
// regression in either shows up as a disagreement.

func TestSM3AgreesWithTjfoc(t *testing.T) {
	for n := 0; n < 300; n++ {
		size := n * 7 % 1000
		b := RandomBytes(size)
		ours := SM3(b)
		theirs := tjsm3.Sm3Sum(b)
		if !bytes.Equal(ours[:], theirs) {
			t.Fatalf("len %d: %x vs %x", size, ours, theirs)
		}
	}
}

func toTjfoc(k *PrivateKey) *tjsm2.PrivateKey {
	c := tjsm2.P256Sm2()
	return &tjsm2.PrivateKey{
		PublicKey: tjsm2.PublicKey{Curve: c, X: new(big.Int).Set(k.X), Y: new(big.Int).Set(k.Y)},
		D:         new(big.Int).Set(k.D),
	}
}

func fromTjfocPub(t *testing.T, p *tjsm2.PublicKey) *PublicKey {
	t.Helper()
	// 0x04 || X || Y, each padded to 32 bytes.
	raw := make([]byte, 65)
	raw[0] = 4
	p.X.FillBytes(raw[1:33])
	p.Y.FillBytes(raw[33:])
	k, err := parseUncompressed(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func derToRS(t *testing.T, sig []byte) (*big.Int, *big.Int) {
	t.Helper()
	r, s := new(big.Int), new(big.Int)
	in := cryptobyte.String(sig)
	var inner cryptobyte.String
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) {
		t.Fatal("bad DER signature")
	}
	return r, s
}

func rsToDER(t *testing.T, r, s *big.Int) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	out, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSM2SignatureByUsVerifiesInTjfoc(t *testing.T) {
	uid := []byte("agent-1001@tenant")
	for i := 0; i < 5; i++ {
		priv, _ := GenerateKey()
		msg := RandomBytes(40 + i)
		sig, err := Sign(priv, uid, msg)
		if err != nil {
			t.Fatal(err)
		}
		r, s := derToRS(t, sig)
		tp := toTjfoc(priv)
		if !tjsm2.Sm2Verify(&tp.PublicKey, msg, uid, r, s) {
			t.Fatalf("tjfoc rejects our signature #%d", i)
		}
		if tjsm2.Sm2Verify(&tp.PublicKey, append(msg, 0), uid, r, s) {
			t.Fatal("tjfoc accepts a signature over another message")
		}
	}
}

func TestSM2SignatureByTjfocVerifiesHere(t *testing.T) {
	uid := []byte("1234567812345678")
	for i := 0; i < 5; i++ {
		tp, err := tjsm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := RandomBytes(33 + i)
		r, s, err := tjsm2.Sm2Sign(tp, msg, uid, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub := fromTjfocPub(t, &tp.PublicKey)
		sig := rsToDER(t, r, s)
		if !Verify(pub, uid, msg, sig) {
			t.Fatalf("we reject tjfoc's signature #%d", i)
		}
		if Verify(pub, []byte("other-uid"), msg, sig) {
			t.Fatal("accepted under another uid")
		}
		// And via the private key conversion: the same D gives the same public point.
		ours, err := PrivateKeyFromBytes(tp.D.FillBytes(make([]byte, 32)))
		if err != nil {
			t.Fatal(err)
		}
		if !ours.PublicKey.Equal(pub) {
			t.Fatal("key conversion disagrees on the public point")
		}
	}
}
