package media

import (
	"encoding/binary"
	"sync"
)

// outStream makes what a leg sends its phone one RTP stream, whoever the
// audio comes from. The relay passes packets through as they came, SSRC,
// sequence number and timestamp included; when the source changes under
// a leg (a transfer splices in another party, a conference or a whisper
// mix starts, a prompt gives way to the other party) the phone would see
// a new SSRC whose numbers jump anywhere. Many phones take that badly:
// baresip 1.0's jitter buffer drops every packet of the new stream as too
// late while its sequence numbers are below the old one's. So the first
// source's SSRC stays, and later sources' sequence numbers and timestamps
// are shifted to carry on from the last packet sent, with the marker bit
// set on the first packet after a change (a new talkspurt: RFC 3551 §4.1),
// as Asterisk and rtpengine do for the streams they bridge. While the first
// source lasts, packets go out as they came.
type outStream struct {
	mu      sync.Mutex
	started bool
	ssrc    uint32 // the SSRC the phone sees: the first source's
	in      uint32 // the SSRC of the source now being sent
	seqOff  uint16 // added to the source's sequence numbers
	tsOff   uint32 // added to the source's timestamps
	lastSeq uint16 // the last sequence number and timestamp sent
	lastTS  uint32
	// buf holds a rewritten packet (under mu). Most calls never change
	// source, so it is made at the first change, not with every leg: 1.5 KB
	// of a call's 16 KB live heap, twice.
	buf *[maxPacket]byte
}

// frameTicks is where a new source's first timestamp lands after the last
// one sent: one 20 ms frame at 8 kHz, the clock of every codec the PBX
// offers but Opus; the marker bit tells the phone to resynchronise anyway.
const frameTicks = 160

// stamp returns pkt as the next packet of the phone's stream: pkt itself
// while the first source lasts, else a copy in o.buf. Called with o.mu
// held; pkt is valid RTP (12 bytes at least) and not changed.
func (o *outStream) stamp(pkt []byte) []byte {
	ssrc := binary.BigEndian.Uint32(pkt[8:12])
	seq := binary.BigEndian.Uint16(pkt[2:4])
	ts := binary.BigEndian.Uint32(pkt[4:8])
	marker := false
	switch {
	case !o.started:
		o.started, o.ssrc, o.in = true, ssrc, ssrc
	case ssrc != o.in:
		o.in = ssrc
		o.seqOff = o.lastSeq + 1 - seq
		o.tsOff = o.lastTS + frameTicks - ts
		marker = true
	}
	seq += o.seqOff
	ts += o.tsOff
	o.lastSeq, o.lastTS = seq, ts
	if ssrc == o.ssrc && o.seqOff == 0 && o.tsOff == 0 {
		return pkt
	}
	if len(pkt) > maxPacket {
		return pkt // validRTP and the senders keep to maxPacket
	}
	if o.buf == nil {
		o.buf = new([maxPacket]byte) // once per leg, at its first new source
	}
	out := o.buf[:len(pkt)]
	copy(out, pkt)
	binary.BigEndian.PutUint16(out[2:4], seq)
	binary.BigEndian.PutUint32(out[4:8], ts)
	binary.BigEndian.PutUint32(out[8:12], o.ssrc)
	if marker {
		out[1] |= 0x80
	}
	return out
}
