package recorder

import (
	"io"

	"github.com/zaf/g711"
)

// Timeline tuning. Positions are in frames (one sample per channel) since
// the recording began, at 8 kHz.
const (
	// ringFrames bounds what is held in memory per recording (2.048 s);
	// a power of two so a position maps to a slot with a mask.
	ringFrames = 1 << 14
	// maxSkewFrames is how far a packet may trail its arrival time, as
	// predicted from its RTP timestamp, before the leg is re-anchored on
	// arrival time (sender clock drift, a timestamp jump, a new stream).
	maxSkewFrames = sampleRate * 3 / 10
)

// Silence in each format: the codes closest to zero.
const (
	alawSilence = 0xD5
	ulawSilence = 0xFF
)

// legSync is what a leg's last packet told us: its stream and where its
// timestamp put it.
type legSync struct {
	synced  bool
	ssrc    uint32
	lastTS  uint32
	lastPos int64
}

// timeline lays both legs' samples on one clock and releases stereo frames
// in order. Each leg is placed by RTP timestamp (smooth, and it puts lost
// packets' gaps where they belong) anchored to arrival time, so the two
// legs line up although their timestamps are unrelated. Frames nobody
// filled are silence. It is used by one goroutine.
type timeline struct {
	format Format
	fb, sb int    // frame and sample width in bytes
	ring   []byte // ringFrames frames, interleaved as in the file
	cursor int64  // frames released so far
	legs   [2]legSync
	late   uint64 // samples dropped because their frames were already released
	out    io.Writer
}

func newTimeline(f Format, out io.Writer) *timeline {
	t := &timeline{format: f, fb: f.frameBytes(), sb: f.sampleBytes(), out: out}
	t.ring = make([]byte, ringFrames*t.fb)
	t.silence(t.ring)
	return t
}

// silence fills b (whole frames) with the format's silence.
func (t *timeline) silence(b []byte) {
	var s byte
	switch t.format {
	case FormatALaw:
		s = alawSilence
	case FormatULaw:
		s = ulawSilence
	}
	for i := range b {
		b[i] = s
	}
}

// place puts one packet's payload (pt 0 or 8) on leg's channel. arrival is
// the frame at which the packet arrived; the last sample cannot have been
// captured later than that.
func (t *timeline) place(leg int, pt uint8, ssrc, ts uint32, payload []byte, arrival int64) error {
	n := int64(len(payload))
	if n == 0 {
		return nil
	}
	earliest := arrival - n
	s := &t.legs[leg]
	pos := earliest
	if s.synced && s.ssrc == ssrc {
		pos = s.lastPos + int64(int32(ts-s.lastTS))
		// Later than its arrival is impossible: the anchor packet was
		// delayed, so move the anchor. Far earlier means drift or a jump.
		if pos > earliest || pos < earliest-maxSkewFrames {
			pos = earliest
		}
	}
	*s = legSync{synced: true, ssrc: ssrc, lastTS: ts, lastPos: pos}

	if end := pos + n; end > t.cursor+ringFrames {
		if err := t.release(end - ringFrames); err != nil {
			return err
		}
	}
	if pos < t.cursor {
		skip := t.cursor - pos
		if skip >= n {
			t.late += uint64(n)
			return nil
		}
		t.late += uint64(skip)
		payload, pos = payload[skip:], t.cursor
	}
	t.write(leg, pt, payload, pos)
	return nil
}

// write stores payload's samples at pos.. on leg's channel, converting
// from the wire's law to the file's format.
func (t *timeline) write(leg int, pt uint8, payload []byte, pos int64) {
	slot := func(i int) int { return int((pos+int64(i))&(ringFrames-1))*t.fb + leg*t.sb }
	switch {
	case t.format == FormatPCM:
		decode := g711.DecodeAlawFrame
		if pt == ptPCMU {
			decode = g711.DecodeUlawFrame
		}
		for i, c := range payload {
			v, k := uint16(decode(c)), slot(i)
			t.ring[k], t.ring[k+1] = byte(v), byte(v>>8)
		}
	case t.format == FormatALaw && pt == ptPCMU:
		for i, c := range payload {
			t.ring[slot(i)] = g711.Ulaw2AlawFrame(c)
		}
	case t.format == FormatULaw && pt == ptPCMA:
		for i, c := range payload {
			t.ring[slot(i)] = g711.Alaw2UlawFrame(c)
		}
	default:
		for i, c := range payload {
			t.ring[slot(i)] = c
		}
	}
}

// release writes frames [cursor, upTo) to out and clears their slots.
func (t *timeline) release(upTo int64) error {
	for t.cursor < upTo {
		start := t.cursor & (ringFrames - 1)
		n := min(upTo-t.cursor, ringFrames-start)
		b := t.ring[start*int64(t.fb) : (start+n)*int64(t.fb)]
		if _, err := t.out.Write(b); err != nil {
			return err
		}
		t.silence(b)
		t.cursor += n
	}
	return nil
}
