package mix

import (
	"sync"

	"github.com/zaf/g711"
)

// Frame is 20 ms of linear audio.
type Frame [FrameSamples]int16

// depth is how many frames a source buffers (60 ms) before dropping the oldest.
const depth = 3

// Source buffers one party's decoded audio, filled from a media tap (any
// goroutine) and drained by the mixer's clock.
type Source struct {
	mu    sync.Mutex
	ring  [depth]Frame
	start int
	n     int
}

// PushRTP decodes an RTP packet's G.711 payload (PT 0 or 8) into the queue.
// Other payload types (telephone-event, comfort noise) are ignored. It copies,
// so pkt may be reused by the caller.
func (s *Source) PushRTP(pkt []byte) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return
	}
	pt := pkt[1] & 0x7f
	if pt != 0 && pt != 8 {
		return
	}
	off := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 {
		if len(pkt) < off+4 {
			return
		}
		off += 4 + 4*(int(pkt[off+2])<<8|int(pkt[off+3]))
	}
	if off >= len(pkt) {
		return
	}
	payload := pkt[off:]
	if len(payload) > FrameSamples {
		payload = payload[:FrameSamples]
	}
	s.mu.Lock()
	if s.n == depth { // full: drop the oldest so latency stays bounded
		s.start = (s.start + 1) % depth
		s.n--
	}
	f := &s.ring[(s.start+s.n)%depth]
	for i := range f {
		var v int16
		if i < len(payload) {
			if pt == 8 {
				v = g711.DecodeAlawFrame(payload[i])
			} else {
				v = g711.DecodeUlawFrame(payload[i])
			}
		}
		f[i] = v
	}
	s.n++
	s.mu.Unlock()
}

// Pop takes the oldest frame into f; false (and silence) when none is queued.
func (s *Source) Pop(f *Frame) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		*f = Frame{}
		return false
	}
	*f = s.ring[s.start]
	s.start = (s.start + 1) % depth
	s.n--
	return true
}

// Encode sums frames (saturating) and encodes the result as G.711 for pt into dst.
func Encode(dst []byte, pt uint8, frames ...*Frame) []byte {
	dst = dst[:0]
	for i := 0; i < FrameSamples; i++ {
		var sum int32
		for _, f := range frames {
			sum += int32(f[i])
		}
		if sum > 32767 {
			sum = 32767
		} else if sum < -32768 {
			sum = -32768
		}
		if pt == 0 {
			dst = append(dst, g711.EncodeUlawFrame(int16(sum)))
		} else {
			dst = append(dst, g711.EncodeAlawFrame(int16(sum)))
		}
	}
	return dst
}
