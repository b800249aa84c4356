package recorder

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/pbx/callevent"
)

// BenchmarkTap is the cost the recorder adds to the relay's reader
// goroutine per packet: parse, copy into a queue slot, return. The queue
// is emptied outside the timed part whenever it fills, as the writer does.
func BenchmarkTap(b *testing.B) {
	s := newSession(Recording{}, "", time.Now(), nil)
	pkt := RTPPacket(ptPCMA, 1, 160, 7, ToneALaw(440, 8000, 0, 160))
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if len(s.in) == cap(s.in) {
			b.StopTimer()
			for len(s.in) > 0 {
				<-s.in
			}
			b.StartTimer()
		}
		s.OnRTP(callevent.LegCaller, pkt)
	}
	if n := s.dropped.Load(); n != 0 {
		b.Fatalf("%d packets dropped", n)
	}
}

// BenchmarkTapQueueFull is the tap when the writer has fallen behind: the
// packet is dropped, still without blocking or allocating.
func BenchmarkTapQueueFull(b *testing.B) {
	s := newSession(Recording{}, "", time.Now(), nil)
	pkt := RTPPacket(ptPCMA, 1, 160, 7, ToneALaw(440, 8000, 0, 160))
	for len(s.in) < cap(s.in) {
		s.OnRTP(callevent.LegCaller, pkt)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.OnRTP(callevent.LegCaller, pkt)
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

// BenchmarkConcurrentRecordings runs 1000 recordings at once through the
// whole path — tap, queue, writer goroutine, timeline, file writes — with
// the clock running faster than real time, and reports the process CPU
// spent per packet (cpu-ns/op). At 50 packets/s per leg, 1000 calls are
// 100 000 packets/s, so cpu-ns/op × 1e5 / 1e9 is the share of one core
// that recording them takes.
func BenchmarkConcurrentRecordings(b *testing.B) {
	const calls = 1000
	st := NewPlainStorage(b.TempDir())
	var clock atomic.Int64
	sessions := make([]*session, calls)
	sinks := make([]Sink, calls)
	var wg sync.WaitGroup
	for i := range sessions {
		s := newSession(Recording{}, "", time.Now(), clock.Load)
		sink, err := st.Create(context.Background(), fmt.Sprintf("c%04d.wav", i))
		if err != nil {
			b.Fatal(err)
		}
		sessions[i], sinks[i] = s, sink
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.record(sink, FormatALaw); err != nil {
				b.Error(err)
			}
		}()
	}
	pkts := [2][]byte{
		RTPPacket(ptPCMA, 1, 0, 1, ToneALaw(500, 8000, 0, 160)),
		RTPPacket(ptPCMA, 1, 0, 2, ToneALaw(1250, 8000, 0, 160)),
	}
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for n := 0; n < b.N; {
		clock.Add(int64(20 * time.Millisecond))
		ts := uint32(clock.Load() / nsPerFrame)
		for leg := range 2 {
			binary.BigEndian.PutUint32(pkts[leg][4:], ts)
		}
		for _, s := range sessions {
			for leg := range 2 {
				s.OnRTP(leg, pkts[leg])
				n++
			}
		}
		// Real calls give the writers 20 ms per round; a little of it
		// keeps the queues from overflowing when the feeder outruns them.
		if len(sessions[0].in) > queueSlots/2 {
			time.Sleep(time.Millisecond)
		}
	}
	for _, s := range sessions {
		s.end(s.now())
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	var dropped uint64
	for i, s := range sessions {
		dropped += s.dropped.Load()
		sinks[i].Close()
	}
	b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
}

// cpuTime is the user and system CPU the process has used, in ns.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
