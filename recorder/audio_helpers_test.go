package recorder

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/zaf/g711"
)

// TestAudio is a decoded stereo recording, for assertions about what each
// channel carries.
type TestAudio struct {
	Format      Format
	Left, Right []float64
}

// Seconds is the length in seconds.
func (a TestAudio) Seconds() float64 { return float64(len(a.Left)) / sampleRate }

// Span returns one channel's samples between two times in seconds.
func (a TestAudio) Span(leg int, from, to float64) []float64 {
	ch := a.Left
	if leg == 1 {
		ch = a.Right
	}
	i, j := int(from*sampleRate), min(int(to*sampleRate), len(ch))
	if i >= j {
		return nil
	}
	return ch[i:j]
}

// DecodeTestWAV decodes a WAV file this package wrote.
func DecodeTestWAV(b []byte) (TestAudio, error) {
	info, err := parseWAVHeader(b[:min(len(b), 512)])
	if err != nil {
		return TestAudio{}, err
	}
	end := info.DataOffset + int64(info.DataLen)
	if end > int64(len(b)) {
		return TestAudio{}, fmt.Errorf("data chunk of %d bytes, file has %d after the header", info.DataLen, int64(len(b))-info.DataOffset)
	}
	data := b[info.DataOffset:end]
	a := TestAudio{Format: info.Format}
	sb := info.Format.sampleBytes()
	for i := 0; i+2*sb <= len(data); i += 2 * sb {
		for leg, dst := range []*[]float64{&a.Left, &a.Right} {
			p := data[i+leg*sb:]
			var v int16
			switch info.Format {
			case FormatALaw:
				v = g711.DecodeAlawFrame(p[0])
			case FormatULaw:
				v = g711.DecodeUlawFrame(p[0])
			default:
				v = int16(binary.LittleEndian.Uint16(p))
			}
			*dst = append(*dst, float64(v))
		}
	}
	return a, nil
}

// ToneAmplitude estimates the amplitude of freq in x with the Goertzel
// algorithm (2|X(f)|/N, so a full-scale sine of amplitude A gives ~A).
func ToneAmplitude(x []float64, freq float64) float64 {
	if len(x) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / sampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / float64(len(x))
}

// RMS is the root mean square of x.
func RMS(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(x)))
}

// ToneALaw returns n A-law samples of a sine at freq with amplitude amp,
// starting at sample offset start (so consecutive packets join up).
func ToneALaw(freq, amp float64, start, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		v := amp * math.Sin(2*math.Pi*freq*float64(start+i)/sampleRate)
		out[i] = g711.EncodeAlawFrame(int16(v))
	}
	return out
}

// RTPPacket builds an RTP packet around payload.
func RTPPacket(pt uint8, seq uint16, ts, ssrc uint32, payload []byte) []byte {
	b := make([]byte, 12, 12+len(payload))
	b[0], b[1] = 0x80, pt
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return append(b, payload...)
}
