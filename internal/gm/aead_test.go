package gm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

func TestSealOpenRoundTripAndFailures(t *testing.T) {
	key := RandomBytes(KeySize)
	pt := []byte("13800138000")
	aad := []byte("cdr|42|caller")
	a, err := Seal(key, pt, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(pt)+Overhead {
		t.Fatalf("sealed len %d, want %d", len(a), len(pt)+Overhead)
	}
	b, _ := Seal(key, pt, aad)
	if bytes.Equal(a[:NonceSize], b[:NonceSize]) {
		t.Fatal("two seals share a nonce")
	}
	got, err := Open(key, a, aad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open = %q, %v", got, err)
	}
	flip := bytes.Clone(a)
	flip[len(flip)-1] ^= 0x80
	cases := map[string]func() error{
		"wrong aad":   func() error { _, err := Open(key, a, []byte("cdr|43|caller")); return err },
		"wrong key":   func() error { _, err := Open(RandomBytes(KeySize), a, aad); return err },
		"flipped tag": func() error { _, err := Open(key, flip, aad); return err },
		"truncated":   func() error { _, err := Open(key, a[:Overhead-1], aad); return err },
		"empty":       func() error { _, err := Open(key, nil, aad); return err },
	}
	for name, f := range cases {
		err := f()
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "authentication failed") {
			t.Errorf("%s: err %q should say only authentication failed", name, err)
		}
	}
}

func TestBadKeySizeIsInvalidAndDoesNotEchoKey(t *testing.T) {
	key := []byte("secret-material!x")
	_, err := Seal(key, []byte("x"), nil)
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error echoes the key: %v", err)
	}
}

func TestSealAEADAppendsToDst(t *testing.T) {
	a, err := NewAEAD(RandomBytes(KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dst := []byte("hdr")
	out, err := SealAEAD(a, dst, []byte("payload"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(out[:3]) != "hdr" {
		t.Fatal("prefix lost")
	}
	pt, err := OpenAEAD(a, []byte("p:"), out[3:], nil)
	if err != nil || string(pt) != "p:payload" {
		t.Fatalf("open = %q, %v", pt, err)
	}
}

func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	good, _ := SealWithNonce(key, make([]byte, NonceSize), []byte("hello"), []byte("aad"))
	f.Add(append(make([]byte, NonceSize), good...), []byte("aad"))
	f.Add([]byte{}, []byte{})
	f.Add(bytes.Repeat([]byte{0}, Overhead), []byte("x"))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		pt, err := Open(key, sealed, aad)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("err %v not ErrInvalid", err)
			}
			return
		}
		// Anything that opens must re-seal under the same nonce to the same bytes.
		again, err := SealWithNonce(key, sealed[:NonceSize], pt, aad)
		if err != nil || !bytes.Equal(again, sealed[NonceSize:]) {
			t.Fatal("opened bytes do not round-trip")
		}
	})
}
