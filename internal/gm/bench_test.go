package gm

import "testing"

func BenchmarkSM4GCMSeal16K(b *testing.B) {
	a, _ := NewAEAD(RandomBytes(KeySize))
	pt := RandomBytes(16 << 10)
	dst := make([]byte, 0, len(pt)+Overhead)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		SealAEAD(a, dst[:0], pt, nil)
	}
}

func BenchmarkSM4GCMOpen16K(b *testing.B) {
	a, _ := NewAEAD(RandomBytes(KeySize))
	sealed, _ := SealAEAD(a, nil, RandomBytes(16<<10), nil)
	dst := make([]byte, 0, len(sealed))
	b.SetBytes(16 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenAEAD(a, dst[:0], sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealSmallField(b *testing.B) {
	key := RandomBytes(KeySize)
	pt := []byte("13800138000")
	b.ReportAllocs()
	for b.Loop() {
		Seal(key, pt, []byte("cdr|1|caller"))
	}
}

func BenchmarkSM3_16K(b *testing.B) {
	d := RandomBytes(16 << 10)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		SM3(d)
	}
}

func BenchmarkHMACSM3_64B(b *testing.B) {
	k, m := RandomBytes(32), RandomBytes(64)
	b.ReportAllocs()
	for b.Loop() {
		HMACSM3(k, m)
	}
}

func BenchmarkSM2Sign(b *testing.B) {
	priv, _ := GenerateKey()
	msg := RandomBytes(64)
	b.ReportAllocs()
	for b.Loop() {
		Sign(priv, nil, msg)
	}
}

func BenchmarkSM2Verify(b *testing.B) {
	priv, _ := GenerateKey()
	msg := RandomBytes(64)
	sig, _ := Sign(priv, nil, msg)
	b.ReportAllocs()
	for b.Loop() {
		if !Verify(&priv.PublicKey, nil, msg, sig) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkPBKDF2SM3 runs at the password-hash cost internal/auth uses by
// default (see auth.DefaultIterations); one op is one password verification.
func BenchmarkPBKDF2SM3(b *testing.B) {
	pw, salt := []byte("Correct-Horse-9"), RandomBytes(16)
	for b.Loop() {
		PBKDF2SM3(pw, salt, 170_000, 32)
	}
}
