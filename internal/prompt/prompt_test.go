package prompt

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

func wav(tag uint16, rate uint32, channels, bits uint16, data []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, tag)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, channels*bits/8)
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func tone(freq float64, n int) []byte {
	out := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

func TestDecodeAndEncodeFrames(t *testing.T) {
	a, err := DecodeWAV(wav(1, 8000, 1, 16, tone(1000, 8000)))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Samples) != 8000 {
		t.Fatalf("samples = %d", len(a.Samples))
	}
	fr := a.Frames(8)
	if len(fr) != 50 || len(fr[0]) != 160 {
		t.Fatalf("frames = %d x %d", len(fr), len(fr[0]))
	}
	// A-law frames decode back close to the tone.
	back, err := DecodeWAV(wav(6, 8000, 1, 8, fr[10]))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range back.Samples {
		if d := int(s) - int(a.Samples[1600+i]); d > 300 || d < -300 {
			t.Fatalf("sample %d off by %d", i, d)
		}
	}
	if len(a.Frames(0)) != 50 {
		t.Fatal("µ-law frames")
	}
}

func TestDecodeRejectsOtherFormats(t *testing.T) {
	for name, b := range map[string][]byte{
		"16 kHz":  wav(1, 16000, 1, 16, tone(1000, 100)),
		"stereo":  wav(1, 8000, 2, 16, tone(1000, 100)),
		"8-bit":   wav(1, 8000, 1, 8, make([]byte, 100)),
		"mp3 tag": wav(85, 8000, 1, 16, make([]byte, 100)),
		"garbage": []byte("not a wav at all"),
		"no data": wav(1, 8000, 1, 16, nil)[:36],
	} {
		if _, err := DecodeWAV(b); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

type capture struct{ pkts [][]byte }

func (c *capture) WriteRTP(p []byte) error {
	c.pkts = append(c.pkts, append([]byte(nil), p...))
	return nil
}

func TestStreamPacesAndNumbersPackets(t *testing.T) {
	c := &capture{}
	s := NewStream(c, 8)
	done, err := s.Play(context.Background(), Silence(8, 5), nil)
	if err != nil || !done {
		t.Fatal(done, err)
	}
	s.Play(context.Background(), Silence(8, 2), nil)
	if len(c.pkts) != 7 {
		t.Fatalf("packets = %d", len(c.pkts))
	}
	for i := 1; i < len(c.pkts); i++ {
		seq0, seq1 := binary.BigEndian.Uint16(c.pkts[i-1][2:]), binary.BigEndian.Uint16(c.pkts[i][2:])
		ts0, ts1 := binary.BigEndian.Uint32(c.pkts[i-1][4:]), binary.BigEndian.Uint32(c.pkts[i][4:])
		if seq1 != seq0+1 || ts1 != ts0+160 {
			t.Fatalf("packet %d: seq %d→%d ts %d→%d", i, seq0, seq1, ts0, ts1)
		}
	}
	if c.pkts[0][1] != 0x88 || c.pkts[1][1] != 8 || c.pkts[5][1] != 0x88 {
		t.Fatalf("marker bits: %x %x %x", c.pkts[0][1], c.pkts[1][1], c.pkts[5][1])
	}
	stop := make(chan struct{})
	close(stop)
	if done, _ := s.Play(context.Background(), Silence(8, 50), stop); done {
		t.Fatal("barge-in did not stop the prompt")
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(wav(1, 8000, 1, 16, tone(440, 200)))
	f.Add(wav(6, 8000, 1, 8, make([]byte, 50)))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeWAV(b)
		if err == nil && a == nil {
			t.Fatal("nil audio without error")
		}
	})
}
