package webrtc

import (
	"encoding/binary"
	"testing"

	"github.com/yimen/yimen/pbx/mix"
	law "github.com/zaf/g711"
)

func rtpPacket(ssrc uint32, seq uint16, ts uint32, pt uint8) []byte {
	p := make([]byte, 12+160)
	p[0], p[1] = 0x80, pt
	binary.BigEndian.PutUint16(p[2:], seq)
	binary.BigEndian.PutUint32(p[4:], ts)
	binary.BigEndian.PutUint32(p[8:], ssrc)
	return p
}

// Two calls' streams, each with its own SSRC, sequence and timestamps,
// reach the browser as one stream: the track's SSRC and type, the sequence
// and the clock running on by one packet across the change.
func TestResequencerJoinsCalls(t *testing.T) {
	b := &binding{ssrc: 0xabcdef01, pt: 8}
	var rs resequencer
	var seqs []uint16
	var tss []uint32
	for i := range 3 {
		p := rtpPacket(111, 60000+uint16(i), 1000+uint32(i)*160, 8)
		rs.rewrite(p, b)
		seqs, tss = append(seqs, binary.BigEndian.Uint16(p[2:])), append(tss, binary.BigEndian.Uint32(p[4:]))
		if binary.BigEndian.Uint32(p[8:]) != b.ssrc || p[1]&0x7f != 8 {
			t.Fatalf("packet %d keeps its SSRC or type", i)
		}
	}
	for i := range 2 {
		p := rtpPacket(222, 7+uint16(i), 99999+uint32(i)*160, 8|0x80)
		rs.rewrite(p, b)
		seqs, tss = append(seqs, binary.BigEndian.Uint16(p[2:])), append(tss, binary.BigEndian.Uint32(p[4:]))
		if p[1]&0x80 == 0 {
			t.Error("the marker bit was lost")
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 || tss[i] != tss[i-1]+160 {
			t.Errorf("packet %d: seq %d ts %d after seq %d ts %d", i, seqs[i], tss[i], seqs[i-1], tss[i-1])
		}
	}
}

func TestResequencerAllocatesNothing(t *testing.T) {
	b := &binding{ssrc: 1, pt: 0}
	var rs resequencer
	p := rtpPacket(5, 1, 1, 0)
	if n := testing.AllocsPerRun(1000, func() { rs.rewrite(p, b) }); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
}

// The hold tone is 425 Hz while on and silence while off, in either law.
func TestHoldToneFrames(t *testing.T) {
	for _, c := range []g711{pcma, pcmu} {
		frames := holdToneFrames(c)
		decode := law.DecodeAlawFrame
		if c == pcmu {
			decode = law.DecodeUlawFrame
		}
		pcm := func(f []byte) []int16 {
			out := make([]int16, len(f))
			for i, v := range f {
				out[i] = decode(v)
			}
			return out
		}
		on, off := pcm(frames[0]), pcm(frames[holdToneOn])
		if p := mix.Power(on, holdToneHz); p < 0.5 {
			t.Errorf("%s: tone frame power at 425 Hz %.3f", c.name, p)
		}
		for _, v := range off {
			if v > 16 || v < -16 {
				t.Fatalf("%s: the off part is not silent (%d)", c.name, v)
			}
		}
	}
}
