package recorder

import (
	"io"
	"testing"
	"time"

	"github.com/yimen/yimen/pbx/media"
)

// BenchmarkTap is the cost the recorder adds to the relay's reader
// goroutine per packet: parse, copy into a queue slot, return.
func BenchmarkTap(b *testing.B) {
	s := newSession(Recording{}, "", time.Now(), nil)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the writer's side, draining
		for {
			select {
			case <-s.in:
			case <-stop:
				return
			}
		}
	}()
	pkt := RTPPacket(ptPCMA, 1, 160, 7, ToneALaw(440, 8000, 0, 160))
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		s.OnRTP(media.LegA, pkt)
	}
}

// BenchmarkTapQueueFull is the tap when the writer has fallen behind: the
// packet is dropped, still without blocking or allocating.
func BenchmarkTapQueueFull(b *testing.B) {
	s := newSession(Recording{}, "", time.Now(), nil)
	pkt := RTPPacket(ptPCMA, 1, 160, 7, ToneALaw(440, 8000, 0, 160))
	for len(s.in) < cap(s.in) {
		s.OnRTP(media.LegA, pkt)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.OnRTP(media.LegA, pkt)
	}
}

// BenchmarkWriterPerPacket is the writer goroutine's work for one packet:
// placing it on the timeline and, amortised, writing frames out.
func BenchmarkWriterPerPacket(b *testing.B) {
	for _, f := range []Format{FormatALaw, FormatPCM} {
		b.Run(string(f), func(b *testing.B) {
			tl := newTimeline(f, io.Discard)
			payload := ToneALaw(440, 8000, 0, 160)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				leg := i & 1
				n := i >> 1
				at := int64(160 * (n + 1))
				if err := tl.place(leg, ptPCMA, uint32(leg), uint32(160*n), payload, at); err != nil {
					b.Fatal(err)
				}
				if leg == 1 && n%10 == 0 {
					if err := tl.release(at - 2400); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
		})
	}
}
