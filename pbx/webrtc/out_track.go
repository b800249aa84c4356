package webrtc

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"

	pion "github.com/pion/webrtc/v4"
)

// outTrack is the audio the PBX sends one browser: whatever the relay
// sends the session's socket, written as it came (a raw RTP packet) after
// its header is made the track's own. It is a pion.TrackLocal rather than
// a TrackLocalStaticRTP so no packet is parsed into a struct on the way.
type outTrack struct {
	codec g711
	bound atomic.Pointer[binding]
}

// binding is the track as the peer connection bound it.
type binding struct {
	w    pion.TrackLocalWriter
	ssrc uint32
	pt   uint8
}

var _ pion.TrackLocal = (*outTrack)(nil)

func (t *outTrack) Bind(ctx pion.TrackLocalContext) (pion.RTPCodecParameters, error) {
	for _, p := range ctx.CodecParameters() {
		if strings.EqualFold(p.MimeType, t.codec.mime) {
			t.bound.Store(&binding{w: ctx.WriteStream(), ssrc: uint32(ctx.SSRC()), pt: uint8(p.PayloadType)})
			return p, nil
		}
	}
	return pion.RTPCodecParameters{}, fmt.Errorf("webrtc: %s not negotiated", t.codec.name)
}

func (t *outTrack) Unbind(pion.TrackLocalContext) error {
	t.bound.Store(nil)
	return nil
}

func (t *outTrack) ID() string              { return "audio" }
func (t *outTrack) RID() string             { return "" }
func (t *outTrack) StreamID() string        { return "yimen" }
func (t *outTrack) Kind() pion.RTPCodecType { return pion.RTPCodecTypeAudio }

// resequencer makes the packets of successive calls (each relay stream
// with its own SSRC, sequence and timestamp) one continuous stream, as a
// browser's jitter buffer expects from one track. Only the session's relay
// reader calls it.
type resequencer struct {
	inSSRC  uint32
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16
	lastTS  uint32
	started bool
}

// rewrite gives pkt (a valid RTP packet) the track's SSRC and payload type
// and a place in the track's sequence, in place.
func (r *resequencer) rewrite(pkt []byte, b *binding) {
	ssrc := binary.BigEndian.Uint32(pkt[8:12])
	seq := binary.BigEndian.Uint16(pkt[2:4])
	ts := binary.BigEndian.Uint32(pkt[4:8])
	if !r.started || ssrc != r.inSSRC {
		r.inSSRC, r.started = ssrc, true
		r.seqOff = r.lastSeq + 1 - seq
		r.tsOff = r.lastTS + 160 - ts
	}
	seq += r.seqOff
	ts += r.tsOff
	if int16(seq-r.lastSeq) > 0 {
		r.lastSeq, r.lastTS = seq, ts
	}
	binary.BigEndian.PutUint16(pkt[2:4], seq)
	binary.BigEndian.PutUint32(pkt[4:8], ts)
	binary.BigEndian.PutUint32(pkt[8:12], b.ssrc)
	pkt[1] = pkt[1]&0x80 | b.pt&0x7f
}
