package cti

import "encoding/binary"

// textFrame returns payload as one unmasked websocket text frame (RFC 6455
// §5.2, FIN set, no extensions), the form a server sends. The hub encodes
// each event once into this and every subscriber's writer sends the same
// bytes, several frames to a write.
func textFrame(payload []byte) []byte {
	n := len(payload)
	var f []byte
	switch {
	case n < 126:
		f = make([]byte, 2, 2+n)
		f[1] = byte(n)
	case n <= 0xFFFF:
		f = make([]byte, 4, 4+n)
		f[1] = 126
		binary.BigEndian.PutUint16(f[2:], uint16(n))
	default:
		f = make([]byte, 10, 10+n)
		f[1] = 127
		binary.BigEndian.PutUint64(f[2:], uint64(n))
	}
	f[0] = 0x80 | 0x1 // FIN, text
	return append(f, payload...)
}
