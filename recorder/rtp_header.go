package recorder

import "encoding/binary"

// RTP payload types the recorder decodes (RFC 3551 static assignments).
const (
	ptPCMU = 0
	ptPCMA = 8
)

// rtpHeader is the part of an RTP header the recorder needs to place a
// packet on the timeline.
type rtpHeader struct {
	PT        uint8
	Seq       uint16
	Timestamp uint32
	SSRC      uint32
	Payload   int // offset of the payload
	End       int // end of the payload (padding removed)
}

// parseRTP reads a fixed RTP header, skipping CSRCs and a header extension
// and dropping padding, without allocating. The relay validated the
// version already; this checks again because it indexes into pkt.
func parseRTP(pkt []byte) (rtpHeader, bool) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return rtpHeader{}, false
	}
	h := rtpHeader{
		PT:        pkt[1] & 0x7f,
		Seq:       binary.BigEndian.Uint16(pkt[2:]),
		Timestamp: binary.BigEndian.Uint32(pkt[4:]),
		SSRC:      binary.BigEndian.Uint32(pkt[8:]),
		End:       len(pkt),
	}
	off := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 {
		if off+4 > len(pkt) {
			return rtpHeader{}, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(pkt[off+2:]))
	}
	if pkt[0]&0x20 != 0 {
		pad := int(pkt[len(pkt)-1])
		if pad == 0 || pad > h.End-off {
			return rtpHeader{}, false
		}
		h.End -= pad
	}
	if off > h.End {
		return rtpHeader{}, false
	}
	h.Payload = off
	return h, true
}
