// Package gm is yimen's only door to the Chinese commercial (GM) algorithms:
// SM3 and HMAC-SM3, PBKDF2-HMAC-SM3, SM4-GCM with associated data, SM2
// signatures with a signer ID, PEM encoding of SM2 keys and random bytes.
// It wraps github.com/emmansun/gmsm so that the rest of the tree never picks
// a mode, nonce size or encoding on its own, and so a hardware (SDF/SKF)
// implementation can later replace it behind the same functions.
package gm
