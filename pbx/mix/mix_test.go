package mix

import (
	"math"
	"testing"

	"github.com/zaf/g711"
)

func tonePacket(pt uint8, freq float64, phase int) []byte {
	p := make([]byte, 12+FrameSamples)
	p[0], p[1] = 0x80, pt
	for i := 0; i < FrameSamples; i++ {
		v := int16(6000 * math.Sin(2*math.Pi*freq*float64(phase+i)/8000))
		if pt == 0 {
			p[12+i] = g711.EncodeUlawFrame(v)
		} else {
			p[12+i] = g711.EncodeAlawFrame(v)
		}
	}
	return p
}

func decode(pt uint8, b []byte) []int16 {
	out := make([]int16, len(b))
	for i, v := range b {
		if pt == 0 {
			out[i] = g711.DecodeUlawFrame(v)
		} else {
			out[i] = g711.DecodeAlawFrame(v)
		}
	}
	return out
}

func TestMixCarriesBothTonesAcrossCodecs(t *testing.T) {
	var a, b Source
	var got []int16
	var fa, fb Frame
	buf := make([]byte, 0, FrameSamples)
	for i := 0; i < 20; i++ {
		a.PushRTP(tonePacket(8, 500, i*FrameSamples))
		b.PushRTP(tonePacket(0, 1200, i*FrameSamples))
		a.Pop(&fa)
		b.Pop(&fb)
		buf = Encode(buf, 0, &fa, &fb)
		got = append(got, decode(0, buf)...)
	}
	p500, p1200, p800 := Power(got, 500), Power(got, 1200), Power(got, 800)
	if p500 < 0.2 || p1200 < 0.2 || p800 > 0.05 {
		t.Fatalf("powers 500=%.3f 1200=%.3f 800=%.3f", p500, p1200, p800)
	}
}

func TestSourceQueueBoundsLatencyAndIgnoresOtherPayloads(t *testing.T) {
	var s Source
	for i := 0; i < 10; i++ {
		s.PushRTP(tonePacket(8, 500, i))
	}
	dtmf := tonePacket(101, 500, 0)
	s.PushRTP(dtmf)
	s.PushRTP([]byte{1, 2, 3})
	var f Frame
	n := 0
	for s.Pop(&f) {
		n++
	}
	if n != depth {
		t.Fatalf("queued %d frames, want %d", n, depth)
	}
	if s.Pop(&f) || f != (Frame{}) {
		t.Fatal("empty pop must give silence")
	}
}

func TestEncodeSaturates(t *testing.T) {
	var hi Frame
	for i := range hi {
		hi[i] = 30000
	}
	out := Encode(nil, 8, &hi, &hi)
	if v := g711.DecodeAlawFrame(out[0]); v < 30000 {
		t.Fatalf("saturated sample decodes to %d", v)
	}
}

func BenchmarkMixTwoSources(b *testing.B) {
	var s1, s2 Source
	p := tonePacket(8, 500, 0)
	var f1, f2 Frame
	buf := make([]byte, 0, FrameSamples)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s1.PushRTP(p)
		s2.PushRTP(p)
		s1.Pop(&f1)
		s2.Pop(&f2)
		buf = Encode(buf, 8, &f1, &f2)
	}
}

func FuzzPushRTP(f *testing.F) {
	f.Add(tonePacket(8, 500, 0))
	f.Add([]byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		var s Source
		s.PushRTP(p)
		var fr Frame
		s.Pop(&fr)
	})
}
