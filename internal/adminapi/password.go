package adminapi

import (
	"crypto/rand"
	"math/big"

	"github.com/yimen/yimen/internal/auth"
)

const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewPassword returns a random 18-character password that meets
// internal/auth's rules for the user name (about 105 bits).
func NewPassword(name string) string {
	max := big.NewInt(int64(len(passwordAlphabet)))
	for {
		b := make([]byte, 18)
		for i := range b {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				panic("adminapi: crypto/rand failed: " + err.Error()) // the kernel's generator does not fail
			}
			b[i] = passwordAlphabet[n.Int64()]
		}
		if auth.CheckPassword(name, string(b), 8) == nil {
			return string(b)
		}
	}
}
