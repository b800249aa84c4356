package prompt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/yimen/yimen/internal/errs"
	"github.com/zaf/g711"
)

// WAV format tags.
const (
	fmtPCM  = 1
	fmtALaw = 6
	fmtULaw = 7
)

// maxPromptBytes bounds a prompt file (about 10 minutes of PCM16).
const maxPromptBytes = 10 << 20

// Audio is decoded 8 kHz mono linear PCM.
type Audio struct {
	Samples []int16
}

// LoadFile reads a WAV file.
func LoadFile(path string) (*Audio, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", path, errs.ErrNotFound)
	}
	if st.Size() > maxPromptBytes {
		return nil, fmt.Errorf("prompt %s: larger than %d bytes: %w", path, maxPromptBytes, errs.ErrInvalid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", path, err)
	}
	a, err := DecodeWAV(b)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", path, err)
	}
	return a, nil
}

var errFormat = errors.New("want an 8000 Hz mono WAV (16-bit PCM, A-law or µ-law); convert with: sox in.wav -r 8000 -c 1 -b 16 -e signed-integer out.wav")

// DecodeWAV parses a RIFF/WAVE file into 8 kHz mono PCM.
func DecodeWAV(b []byte) (*Audio, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a RIFF/WAVE file: %w", errs.ErrInvalid)
	}
	var (
		tag, channels, bits uint16
		rate                uint32
		haveFmt             bool
		data                []byte
	)
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		p += 8
		if size < 0 || size > len(b)-p {
			size = len(b) - p // tolerate a data chunk whose size was never fixed up
		}
		body := b[p : p+size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("short fmt chunk: %w", errs.ErrInvalid)
			}
			tag = binary.LittleEndian.Uint16(body[0:2])
			channels = binary.LittleEndian.Uint16(body[2:4])
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = binary.LittleEndian.Uint16(body[14:16])
			haveFmt = true
		case "data":
			data = body
		}
		p += size + size&1
	}
	if !haveFmt || data == nil {
		return nil, fmt.Errorf("missing fmt or data chunk: %w", errs.ErrInvalid)
	}
	if rate != 8000 || channels != 1 {
		return nil, fmt.Errorf("%d Hz, %d channels: %w: %w", rate, channels, errFormat, errs.ErrInvalid)
	}
	a := &Audio{}
	switch {
	case tag == fmtPCM && bits == 16:
		a.Samples = make([]int16, len(data)/2)
		for i := range a.Samples {
			a.Samples[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case tag == fmtALaw && bits == 8:
		a.Samples = make([]int16, len(data))
		for i, v := range data {
			a.Samples[i] = g711.DecodeAlawFrame(v)
		}
	case tag == fmtULaw && bits == 8:
		a.Samples = make([]int16, len(data))
		for i, v := range data {
			a.Samples[i] = g711.DecodeUlawFrame(v)
		}
	default:
		return nil, fmt.Errorf("format tag %d, %d bits: %w: %w", tag, bits, errFormat, errs.ErrInvalid)
	}
	return a, nil
}

// FrameSamples is 20 ms at 8 kHz.
const FrameSamples = 160

// Frames encodes the audio as 20 ms G.711 frames for payload type pt (0 PCMU, 8 PCMA),
// padding the last frame with silence.
func (a *Audio) Frames(pt uint8) [][]byte {
	n := (len(a.Samples) + FrameSamples - 1) / FrameSamples
	buf := make([]byte, n*FrameSamples)
	for i := range buf {
		var s int16
		if i < len(a.Samples) {
			s = a.Samples[i]
		}
		if pt == 0 {
			buf[i] = g711.EncodeUlawFrame(s)
		} else {
			buf[i] = g711.EncodeAlawFrame(s)
		}
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = buf[i*FrameSamples : (i+1)*FrameSamples]
	}
	return out
}
