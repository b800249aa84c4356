package webrtc

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	pion "github.com/pion/webrtc/v4"
)

// outTrack is what the PBX sends one browser on one track: the audio the
// relay sends the session's socket, or the video of the browser at the
// other end of the call (video.go), written as it came (a raw RTP packet)
// after its header is made the track's own. It is a pion.TrackLocal rather
// than a TrackLocalStaticRTP so no packet is parsed into a struct on the way.
type outTrack struct {
	mime, name string
	kind       pion.RTPCodecType
	bound      atomic.Pointer[binding]
}

func audioTrack(c g711) *outTrack {
	return &outTrack{mime: c.mime, name: c.name, kind: pion.RTPCodecTypeAudio}
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
		if strings.EqualFold(p.MimeType, t.mime) {
			t.bound.Store(&binding{w: ctx.WriteStream(), ssrc: uint32(ctx.SSRC()), pt: uint8(p.PayloadType)})
			return p, nil
		}
	}
	return pion.RTPCodecParameters{}, fmt.Errorf("webrtc: %s not negotiated", t.name)
}

func (t *outTrack) Unbind(pion.TrackLocalContext) error {
	t.bound.Store(nil)
	return nil
}

func (t *outTrack) ID() string              { return t.kind.String() }
func (t *outTrack) RID() string             { return "" }
func (t *outTrack) StreamID() string        { return "yimen" }
func (t *outTrack) Kind() pion.RTPCodecType { return t.kind }

// trackWriter writes packets from one source at a time to a track: a copy
// into its own buffer, the header made the track's, pion's SRTP write.
// Nothing is allocated here.
type trackWriter struct {
	mu  sync.Mutex
	buf [1500]byte
	rs  resequencer
}

// write sends pkt (a copy of it: the caller keeps its buffer) to t's
// binding. sent is false for a packet that is not RTP version 2, too big,
// or when t is not bound (yet, or any more); err is pion's.
func (w *trackWriter) write(pkt []byte, t *outTrack) (sent bool, err error) {
	if len(pkt) < 12 || len(pkt) > len(w.buf) || pkt[0]>>6 != 2 {
		return false, nil
	}
	b := t.bound.Load()
	if b == nil {
		return false, nil
	}
	w.mu.Lock()
	n := copy(w.buf[:], pkt)
	w.rs.rewrite(w.buf[:n], b)
	_, err = b.w.Write(w.buf[:n])
	w.mu.Unlock()
	return err == nil, err
}

// resequencer makes the packets of successive calls (each relay stream
// with its own SSRC, sequence and timestamp) one continuous stream, as a
// browser's jitter buffer expects from one track. Only the session's relay
// reader calls it.
type resequencer struct {
	step    uint32 // the timestamp gap put between two streams: 0 means 160 (20 ms of G.711)
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
		step := r.step
		if step == 0 {
			step = 160
		}
		r.tsOff = r.lastTS + step - ts
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
