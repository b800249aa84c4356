package media

import "encoding/binary"

// maxPacket is the largest datagram relayed. Voice packets are a few hundred
// bytes; anything above an Ethernet MTU is not media we signed up for.
const maxPacket = 1500

// validRTP reports whether pkt is an RTP version 2 packet whose fixed header,
// CSRC list, header extension and padding all fit inside it. It reads the
// header in place and never allocates; the payload is not looked at.
func validRTP(pkt []byte) bool {
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return false
	}
	n := 12 + 4*int(pkt[0]&0x0f) // fixed header + CSRCs
	if pkt[0]&0x10 != 0 {        // header extension: 4-byte head + length in words
		if len(pkt) < n+4 {
			return false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(pkt[n+2:]))
	}
	if len(pkt) < n {
		return false
	}
	if pkt[0]&0x20 != 0 { // padding: the last byte counts itself and must not eat the header
		pad := int(pkt[len(pkt)-1])
		if pad == 0 || len(pkt)-pad < n {
			return false
		}
	}
	return true
}

// validRTCP reports whether pkt starts like an RTCP (compound) packet:
// version 2, an RTCP packet type (RFC 5761 range 192-223), at least a header
// and sender SSRC, and a first sub-packet whose stated length fits.
func validRTCP(pkt []byte) bool {
	if len(pkt) < 8 || pkt[0]>>6 != 2 || pkt[1] < 192 || pkt[1] > 223 {
		return false
	}
	first := 4 * (int(binary.BigEndian.Uint16(pkt[2:])) + 1)
	return first <= len(pkt)
}
