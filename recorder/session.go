package recorder

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/internal/gm"
)

const (
	// slotBytes is the payload one queue slot carries: 30 ms of G.711, so
	// the common 10, 20 and 30 ms packets take one slot each.
	slotBytes = 240
	// queueSlots bounds the packets waiting for the writer, which takes
	// them every flushEvery: about two seconds of both legs at 20 ms (ten
	// flush intervals), ~53 KB per recording.
	queueSlots = 200
	// jitterDelay is how long a frame waits for late packets before it is
	// written; flushEvery is how often the writer writes.
	jitterDelay = 300 * time.Millisecond
	flushEvery  = 200 * time.Millisecond
	// nsPerFrame converts durations to frames at 8 kHz.
	nsPerFrame = int64(time.Second) / sampleRate
)

// Session flags; while any is set the tap drops packets, so what is
// written for that time is silence.
const (
	flagHeld    = 1 << iota // the call is on hold
	flagPaused              // paused on request (a caller reads out an ID number)
	flagStopped             // the recording has ended
)

// packet is one queue slot: where a slice of payload came from and when.
// It is a fixed-size value so the queue is a single allocation.
type packet struct {
	at   int64 // ns since the recording's start
	ts   uint32
	ssrc uint32
	n    uint16
	leg  uint8
	pt   uint8
	data [slotBytes]byte
}

// session is one recording in progress: the media tap feeding a bounded
// queue, and the writer goroutine draining it into the file.
type session struct {
	rec    Recording
	caller string // full number, sealed into the index
	t0     time.Time
	// elapsed is the time since t0 in ns; a test swaps in a fake clock.
	elapsed func() int64
	in      chan packet
	flags   atomic.Uint32
	// dropped counts packets the full queue had no room for.
	dropped atomic.Uint64
	stop    chan time.Time // the end time, sent once
	done    chan struct{}  // closed when the file and its row are final
}

func newSession(rec Recording, caller string, t0 time.Time, elapsed func() int64) *session {
	if elapsed == nil {
		elapsed = func() int64 { return int64(time.Since(t0)) }
	}
	return &session{
		rec: rec, caller: caller, t0: t0, elapsed: elapsed,
		in:   make(chan packet, queueSlots),
		stop: make(chan time.Time, 1),
		done: make(chan struct{}),
	}
}

// OnRTP is the media tap. It runs on the relay's reader goroutine for
// every packet: it copies the payload into a queue slot and returns,
// never blocking and never allocating. A full queue drops the packet.
func (s *session) OnRTP(leg int, pkt []byte) {
	if s.flags.Load() != 0 || uint(leg) > 1 {
		return
	}
	if len(s.in) == cap(s.in) {
		s.dropped.Add(1) // the writer is behind: don't even copy
		return
	}
	h, ok := parseRTP(pkt)
	if !ok || (h.PT != ptPCMA && h.PT != ptPCMU) {
		return // telephone-event, comfort noise: not audio we store
	}
	at := s.elapsed()
	payload, ts := pkt[h.Payload:h.End], h.Timestamp
	for len(payload) > 0 {
		p := packet{at: at, ts: ts, ssrc: h.SSRC, leg: uint8(leg), pt: h.PT}
		p.n = uint16(copy(p.data[:], payload))
		select {
		case s.in <- p:
		default:
			s.dropped.Add(1)
			return
		}
		payload, ts = payload[p.n:], ts+uint32(p.n)
	}
}

// end asks the writer to finish the file at the given time; only the
// first call counts.
func (s *session) end(at time.Time) {
	if s.flags.Or(flagStopped)&flagStopped != 0 {
		return
	}
	s.stop <- at
}

// now is the session's clock reading as a time.
func (s *session) now() time.Time { return s.t0.Add(time.Duration(s.elapsed())) }

func (s *session) setFlag(flag uint32, on bool) {
	if on {
		s.flags.Or(flag)
	} else {
		s.flags.And(^uint32(flag))
	}
}

// frames converts a time offset into a frame position.
func frames(d time.Duration) int64 { return int64(d) / nsPerFrame }

// writer is the session's goroutine: it creates the row and the file,
// places queued packets on the timeline, writes frames as they become
// final, and on end fixes the header, checksums the file and completes
// the row.
func (s *session) writer(ctx context.Context, r *Recorder) {
	defer close(s.done)
	rec := s.rec
	if err := r.index.insert(ctx, rec, s.caller); err != nil {
		s.flags.Or(flagStopped)
		r.log.Error("recording not started", "recording", rec.ID, "err", err)
		return
	}
	sink, err := r.storage.Create(ctx, rec.Path)
	if err != nil {
		s.flags.Or(flagStopped)
		r.log.Error("recording file not created", "recording", rec.ID, "err", err)
		s.fail(ctx, r, rec)
		return
	}
	var werr error
	if _, werr = sink.Write(wavHeader(rec.Format, -1)); werr == nil {
		werr = s.record(sink, rec.Format)
	}
	s.finish(ctx, r, sink, werr)
}

// record runs the timeline until end is called; it returns the first
// write error, after which it keeps draining (and discarding) so the tap
// never sees a full queue for long.
func (s *session) record(out io.Writer, f Format) error {
	tl := newTimeline(f, out)
	var werr error
	place := func(p *packet) {
		if werr == nil {
			werr = tl.place(int(p.leg), p.pt, p.ssrc, p.ts, p.data[:p.n], p.at/nsPerFrame)
		}
	}
	drain := func() {
		for {
			select {
			case p := <-s.in:
				place(&p)
			default:
				return
			}
		}
	}
	// The writer wakes on its ticker and takes the queue in one batch,
	// rather than on every packet: a wake-up per packet would cost more
	// than everything else the recorder does with it.
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			drain()
			if werr == nil {
				werr = tl.release(frames(time.Duration(s.elapsed()) - jitterDelay))
			}
		case endAt := <-s.stop:
			drain()
			if werr == nil {
				werr = tl.release(frames(endAt.Sub(s.t0)))
			}
			s.rec.Duration = time.Duration(tl.cursor * nsPerFrame)
			return werr
		}
	}
}

// finish writes the final header, closes the file, checksums it and
// completes the row.
func (s *session) finish(ctx context.Context, r *Recorder, sink Sink, werr error) {
	rec := s.rec
	frameCount := frames(rec.Duration)
	if werr == nil {
		werr = sink.Patch(0, wavHeader(rec.Format, frameCount))
	}
	if err := sink.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		r.log.Error("recording failed", "recording", rec.ID, "err", werr)
		s.fail(ctx, r, rec)
		return
	}
	rec.Ended = r.now()
	rec.State = StateComplete
	r.finishing <- struct{}{}
	rec.Size, rec.SM3, werr = r.checksum(ctx, rec.Path)
	<-r.finishing
	if werr != nil {
		r.log.Error("recording checksum", "recording", rec.ID, "err", werr)
		s.fail(ctx, r, rec)
		return
	}
	if err := r.index.finish(ctx, rec); err != nil {
		r.log.Error("recording index", "recording", rec.ID, "err", err)
	}
	if n := s.dropped.Load(); n > 0 {
		r.log.Warn("recording queue overflowed", "recording", rec.ID, "packets_dropped", n)
	}
	r.log.Info("recording ready", "recording", rec.ID, "tenant", rec.Tenant, "duration_ms", rec.Duration.Milliseconds(), "bytes", rec.Size)
	r.ready(rec)
}

// fail marks the row failed; what the file holds (if anything) stays for
// an operator to look at until retention removes it.
func (s *session) fail(ctx context.Context, r *Recorder, rec Recording) {
	rec.State, rec.Ended = StateFailed, r.now()
	if err := r.index.finish(ctx, rec); err != nil {
		r.log.Error("recording index", "recording", rec.ID, "err", err)
	}
}

// checksum returns the plaintext size and hex SM3 of a stored file.
func (r *Recorder) checksum(ctx context.Context, name string) (int64, string, error) {
	b, err := r.storage.Open(ctx, name)
	if err != nil {
		return 0, "", err
	}
	defer b.Close()
	h := gm.NewSM3()
	n, err := io.Copy(h, io.NewSectionReader(b, 0, b.Size()))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, "", fmt.Errorf("recorder: checksum: %w", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
