package gm

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm4"

	"github.com/yimen/yimen/internal/errs"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSM3Vectors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	}
	for _, c := range cases {
		got := SM3([]byte(c.in))
		if hex.EncodeToString(got[:]) != c.want {
			t.Errorf("SM3(%q) = %x, want %s", c.in, got, c.want)
		}
		h := NewSM3()
		h.Write([]byte(c.in))
		if hex.EncodeToString(h.Sum(nil)) != c.want {
			t.Errorf("streaming SM3(%q) differs", c.in)
		}
	}
}

func TestSM4BlockVectors(t *testing.T) {
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	b, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Clone(key)
	b.Encrypt(buf, buf)
	if want := "681edf34d206965e86b3e94f536e4246"; hex.EncodeToString(buf) != want {
		t.Fatalf("one block = %x, want %s", buf, want)
	}
	for i := 1; i < 1_000_000; i++ {
		b.Encrypt(buf, buf)
	}
	if want := "595298c7c6fd271f0402f804c33d3f66"; hex.EncodeToString(buf) != want {
		t.Fatalf("1e6 blocks = %x, want %s", buf, want)
	}
}

func TestSM4GCMVectorRFC8998(t *testing.T) {
	key := unhex(t, "0123456789ABCDEFFEDCBA9876543210")
	iv := unhex(t, "00001234567800000000ABCD")
	aad := unhex(t, "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
	pt := unhex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
	wantCT := "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
	wantTag := "83de3541e4c2b58177e065a9bf7b62ec"
	out, err := SealWithNonce(key, iv, pt, aad)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(out); got != wantCT+wantTag {
		t.Fatalf("ct||tag = %s\nwant     %s%s", got, wantCT, wantTag)
	}
	back, err := OpenWithNonce(key, iv, out, aad)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("open: %v", err)
	}
	out[0] ^= 1
	if _, err := OpenWithNonce(key, iv, out, aad); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("tampered open err = %v, want ErrInvalid", err)
	}
}

func TestSM2StandardSignatureVerifies(t *testing.T) {
	priv, err := PrivateKeyFromBytes(unhex(t, "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := new(big.Int).SetString("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3", 16)
	s, _ := new(big.Int).SetString("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA", 16)
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	uid := []byte("1234567812345678")
	msg := []byte("message digest")
	if !Verify(&priv.PublicKey, uid, msg, sig) {
		t.Fatal("standard SM2 signature does not verify")
	}
	// The empty uid means the default one, which the sample happens to use.
	if !Verify(&priv.PublicKey, nil, msg, sig) {
		t.Fatal("default uid must equal 1234567812345678")
	}
	if Verify(&priv.PublicKey, []byte("other"), msg, sig) {
		t.Fatal("signature verified under another uid")
	}
	if Verify(&priv.PublicKey, uid, []byte("message digesT"), sig) {
		t.Fatal("signature verified over another message")
	}
}
