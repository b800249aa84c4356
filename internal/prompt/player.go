package prompt

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"
)

// PacketWriter sends one RTP packet to the far end (media.Leg implements it).
type PacketWriter interface {
	WriteRTP(pkt []byte) error
}

// Stream is one outgoing RTP stream: its SSRC, sequence and timestamp run on
// across prompts, as a phone expects from one source.
type Stream struct {
	w      PacketWriter
	pt     uint8
	ssrc   uint32
	seq    uint16
	ts     uint32
	marker bool
	buf    [12 + FrameSamples]byte
}

// NewStream starts a stream of payload type pt (0 PCMU, 8 PCMA) towards w.
func NewStream(w PacketWriter, pt uint8) *Stream {
	var r [10]byte
	_, _ = rand.Read(r[:])
	return &Stream{w: w, pt: pt, ssrc: binary.BigEndian.Uint32(r[0:4]), seq: binary.BigEndian.Uint16(r[4:6]),
		ts: binary.BigEndian.Uint32(r[6:10]), marker: true}
}

// PT is the stream's payload type.
func (s *Stream) PT() uint8 { return s.pt }

// Send writes one frame as the next packet now (a mixer paces itself).
func (s *Stream) Send(frame []byte) error { return s.send(frame) }

// send writes one frame as the next packet.
func (s *Stream) send(frame []byte) error {
	b := s.buf[:12+len(frame)]
	b[0] = 0x80
	b[1] = s.pt
	if s.marker {
		b[1] |= 0x80
		s.marker = false
	}
	binary.BigEndian.PutUint16(b[2:4], s.seq)
	binary.BigEndian.PutUint32(b[4:8], s.ts)
	binary.BigEndian.PutUint32(b[8:12], s.ssrc)
	copy(b[12:], frame)
	s.seq++
	s.ts += FrameSamples
	return s.w.WriteRTP(b)
}

// Play sends frames paced at 20 ms until they run out, ctx ends, or stop
// fires (barge-in). It reports whether it played to the end.
func (s *Stream) Play(ctx context.Context, frames [][]byte, stop <-chan struct{}) (bool, error) {
	if len(frames) == 0 {
		return true, nil
	}
	s.marker = true
	start := time.Now()
	for i, f := range frames {
		if err := s.send(f); err != nil {
			return false, err
		}
		if i == len(frames)-1 {
			break
		}
		// Pace against the start time so timer slack does not accumulate.
		wait := time.Until(start.Add(time.Duration(i+1) * 20 * time.Millisecond))
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return false, ctx.Err()
			case <-stop:
				t.Stop()
				return false, nil
			case <-t.C:
			}
		}
	}
	return true, nil
}

// Silence returns n frames of G.711 silence for pt.
func Silence(pt uint8, n int) [][]byte {
	v := byte(0xD5) // A-law zero
	if pt == 0 {
		v = 0xFF // µ-law zero
	}
	frame := make([]byte, FrameSamples)
	for i := range frame {
		frame[i] = v
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = frame
	}
	return out
}
