package recorder

import (
	"bytes"
	"testing"

	"github.com/zaf/g711"
)

// channel returns one channel of an A-law/µ-law stereo stream.
func channel(b []byte, leg int) []byte {
	out := make([]byte, 0, len(b)/2)
	for i := leg; i < len(b); i += 2 {
		out = append(out, b[i])
	}
	return out
}

func fill(n int, v byte) []byte { return bytes.Repeat([]byte{v}, n) }

// runs describes a channel as (value, count) pairs, for readable failures.
func runs(b []byte) []int {
	var out []int
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] == b[i] {
			j++
		}
		out = append(out, int(b[i]), j-i)
		i = j
	}
	return out
}

func equalRuns(t *testing.T, what string, got []byte, want ...int) {
	t.Helper()
	g := runs(got)
	if len(g) != len(want) {
		t.Fatalf("%s: runs %v, want %v", what, g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("%s: runs %v, want %v", what, g, want)
		}
	}
}

func TestTimelinePlacesLegsByArrivalAndTimestamp(t *testing.T) {
	var out bytes.Buffer
	tl := newTimeline(FormatALaw, &out)
	// Leg 0 starts at frame 0 (its first packet arrives at 160), leg 1 a
	// packet later; their timestamps are unrelated.
	for i := range 5 {
		at := int64(160 * (i + 1))
		if err := tl.place(0, ptPCMA, 1, 1000+uint32(160*i), fill(160, 0x11), at); err != nil {
			t.Fatal(err)
		}
		if err := tl.place(1, ptPCMA, 2, 99999+uint32(160*i), fill(160, 0x22), at+160); err != nil {
			t.Fatal(err)
		}
	}
	if err := tl.release(6 * 160); err != nil {
		t.Fatal(err)
	}
	equalRuns(t, "left", channel(out.Bytes(), 0), 0x11, 800, alawSilence, 160)
	equalRuns(t, "right", channel(out.Bytes(), 1), alawSilence, 160, 0x22, 800)
}

func TestTimelineLossLeavesSilenceWhereThePacketBelonged(t *testing.T) {
	var out bytes.Buffer
	tl := newTimeline(FormatALaw, &out)
	// Packet 2 is lost; packet 3 arrives with network delay (jitter) but
	// its timestamp puts it right after the gap.
	tl.place(0, ptPCMA, 7, 0, fill(160, 0x11), 160)
	tl.place(0, ptPCMA, 7, 160, fill(160, 0x12), 320)
	tl.place(0, ptPCMA, 7, 480, fill(160, 0x13), 640+200)
	tl.release(800)
	equalRuns(t, "left", channel(out.Bytes(), 0), 0x11, 160, 0x12, 160, alawSilence, 160, 0x13, 160, alawSilence, 160)
}

func TestTimelineReanchorsOnNewStreamAndOnDrift(t *testing.T) {
	var out bytes.Buffer
	tl := newTimeline(FormatALaw, &out)
	tl.place(0, ptPCMA, 1, 0, fill(160, 0x11), 160)
	// A new SSRC (a re-INVITE to another phone) is placed by arrival, not
	// by its timestamp, which means nothing next to the old stream's.
	tl.place(0, ptPCMA, 2, 123456, fill(160, 0x12), 480)
	// The same stream jumping its timestamp back far (a looping sender)
	// is re-anchored on arrival too.
	tl.place(0, ptPCMA, 2, 0, fill(160, 0x13), 480+160+maxSkewFrames)
	tl.release(480 + 160 + maxSkewFrames + 160)
	equalRuns(t, "left", channel(out.Bytes(), 0), 0x11, 160, alawSilence, 160, 0x12, 160, alawSilence, maxSkewFrames, 0x13, 160, alawSilence, 160)
}

func TestTimelineEarlyAnchorMovesBackToTheLeastDelayedPacket(t *testing.T) {
	var out bytes.Buffer
	tl := newTimeline(FormatALaw, &out)
	// The first packet was delayed 100 frames; the second came on time,
	// which is only possible if the first was late: the second is placed
	// by its arrival and overwrites nothing it should not.
	tl.place(0, ptPCMA, 1, 0, fill(160, 0x11), 260)
	tl.place(0, ptPCMA, 1, 160, fill(160, 0x12), 320)
	tl.release(400)
	equalRuns(t, "left", channel(out.Bytes(), 0), alawSilence, 100, 0x11, 60, 0x12, 160, alawSilence, 80)
}

func TestTimelineDropsWhatIsAlreadyWrittenAndBoundsMemory(t *testing.T) {
	var out bytes.Buffer
	tl := newTimeline(FormatALaw, &out)
	tl.place(0, ptPCMA, 1, 0, fill(160, 0x11), 160)
	tl.release(240)
	// Straddles the cursor: the first 80 samples are late.
	tl.place(1, ptPCMA, 2, 0, fill(160, 0x22), 320)
	if tl.late != 80 {
		t.Fatalf("late = %d, want 80", tl.late)
	}
	// A packet a ring's length ahead forces frames out rather than growing.
	tl.place(1, ptPCMA, 2, 160, fill(160, 0x23), 320+ringFrames)
	if tl.cursor < 320 || out.Len() != int(tl.cursor)*2 {
		t.Fatalf("cursor %d, %d bytes written", tl.cursor, out.Len())
	}
	tl.release(320 + ringFrames)
	right := channel(out.Bytes(), 1)
	equalRuns(t, "right", right, alawSilence, 240, 0x22, 80, alawSilence, ringFrames-160, 0x23, 160)
}

func TestTimelineConvertsTheWireLawToTheFileFormat(t *testing.T) {
	in := []byte{0x00, 0x55, 0xD5, 0x80, 0xFF, 0x7F}
	for _, tc := range []struct {
		f    Format
		pt   uint8
		want func(byte) []byte
	}{
		{FormatALaw, ptPCMA, func(c byte) []byte { return []byte{c} }},
		{FormatALaw, ptPCMU, func(c byte) []byte { return []byte{g711.Ulaw2AlawFrame(c)} }},
		{FormatULaw, ptPCMA, func(c byte) []byte { return []byte{g711.Alaw2UlawFrame(c)} }},
		{FormatULaw, ptPCMU, func(c byte) []byte { return []byte{c} }},
		{FormatPCM, ptPCMA, func(c byte) []byte { v := g711.DecodeAlawFrame(c); return []byte{byte(v), byte(uint16(v) >> 8)} }},
		{FormatPCM, ptPCMU, func(c byte) []byte { v := g711.DecodeUlawFrame(c); return []byte{byte(v), byte(uint16(v) >> 8)} }},
	} {
		var out bytes.Buffer
		tl := newTimeline(tc.f, &out)
		tl.place(1, tc.pt, 1, 0, in, int64(len(in)))
		tl.release(int64(len(in)))
		fb, sb := tc.f.frameBytes(), tc.f.sampleBytes()
		for i, c := range in {
			got := out.Bytes()[i*fb+sb : i*fb+2*sb]
			if !bytes.Equal(got, tc.want(c)) {
				t.Errorf("%s from pt %d: sample %#x -> %x, want %x", tc.f, tc.pt, c, got, tc.want(c))
			}
			left := out.Bytes()[i*fb : i*fb+sb]
			if tc.f == FormatPCM && !bytes.Equal(left, []byte{0, 0}) || tc.f == FormatULaw && left[0] != ulawSilence {
				t.Errorf("%s: left channel %x, want silence", tc.f, left)
			}
		}
	}
}
