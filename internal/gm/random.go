package gm

import "crypto/rand"

// RandomBytes returns n bytes from the operating system's CSPRNG.
// crypto/rand never fails on supported platforms (it aborts the process
// instead), so there is no error to handle.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	fillRandom(b)
	return b
}

func fillRandom(b []byte) { _, _ = rand.Read(b) }
