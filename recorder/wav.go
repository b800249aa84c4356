package recorder

import (
	"encoding/binary"
	"fmt"

	"github.com/yimen/yimen/internal/errs"
)

// Format is how samples are stored in a recording's data chunk.
type Format string

// Formats. G.711 inside WAV keeps the file half the size of PCM16 and is
// what the wire carried, so A-law in, A-law out loses nothing.
const (
	FormatALaw Format = "alaw"
	FormatULaw Format = "ulaw"
	FormatPCM  Format = "pcm"
)

// WAV format tags (RIFF registry).
const (
	wavTagPCM  = 1
	wavTagALaw = 6
	wavTagULaw = 7
)

const (
	sampleRate = 8000
	channels   = 2
	// unknownSize is written into size fields while a file grows, the
	// convention readers take for "read to the end of the file".
	unknownSize = 0xFFFFFFFF
)

// sampleBytes is the width of one sample of one channel.
func (f Format) sampleBytes() int {
	if f == FormatPCM {
		return 2
	}
	return 1
}

// frameBytes is the width of one stereo frame.
func (f Format) frameBytes() int { return channels * f.sampleBytes() }

func (f Format) tag() uint16 {
	switch f {
	case FormatALaw:
		return wavTagALaw
	case FormatULaw:
		return wavTagULaw
	}
	return wavTagPCM
}

func (f Format) valid() bool { return f == FormatALaw || f == FormatULaw || f == FormatPCM }

// headerLen is the size of the header wavHeader writes: G.711 needs the
// 18-byte fmt chunk and a fact chunk, PCM the canonical 44 bytes.
func (f Format) headerLen() int {
	if f == FormatPCM {
		return 44
	}
	return 58
}

// wavHeader returns the header for a file whose data chunk holds frames
// stereo frames; frames < 0 writes the unknown-size placeholders.
func wavHeader(f Format, frames int64) []byte {
	h := make([]byte, 0, f.headerLen())
	dataLen, riffLen, factLen := uint32(unknownSize), uint32(unknownSize), uint32(unknownSize)
	if frames >= 0 {
		dataLen = uint32(min(frames*int64(f.frameBytes()), unknownSize-int64(f.headerLen())))
		riffLen = dataLen + uint32(f.headerLen()) - 8
		factLen = uint32(min(frames, unknownSize))
	}
	le := binary.LittleEndian
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, riffLen)
	h = append(h, "WAVE"...)
	h = append(h, "fmt "...)
	if f == FormatPCM {
		h = le.AppendUint32(h, 16)
	} else {
		h = le.AppendUint32(h, 18)
	}
	h = le.AppendUint16(h, f.tag())
	h = le.AppendUint16(h, channels)
	h = le.AppendUint32(h, sampleRate)
	h = le.AppendUint32(h, uint32(sampleRate*f.frameBytes()))
	h = le.AppendUint16(h, uint16(f.frameBytes()))
	h = le.AppendUint16(h, uint16(8*f.sampleBytes()))
	if f != FormatPCM {
		h = le.AppendUint16(h, 0) // cbSize
		h = append(h, "fact"...)
		h = le.AppendUint32(h, 4)
		h = le.AppendUint32(h, factLen)
	}
	h = append(h, "data"...)
	return le.AppendUint32(h, dataLen)
}

// wavInfo is what parseWAVHeader learns from a header.
type wavInfo struct {
	Format     Format
	Channels   int
	Rate       int
	DataOffset int64 // where the data chunk's bytes begin
	DataLen    uint32
	FactOffset int64 // where the fact chunk's sample count sits; 0 when absent
}

// parseWAVHeader reads the RIFF chunks in b (the start of a file) up to the
// data chunk. It accepts only what this package writes: 8 kHz stereo
// G.711 or PCM16, which is what recovery needs to trust before it edits.
func parseWAVHeader(b []byte) (wavInfo, error) {
	bad := func(msg string) (wavInfo, error) {
		return wavInfo{}, fmt.Errorf("recorder: wav header: %s: %w", msg, errs.ErrInvalid)
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return bad("not RIFF/WAVE")
	}
	le := binary.LittleEndian
	var info wavInfo
	sawFmt := false
	off := 12
	for off+8 <= len(b) {
		id, size := string(b[off:off+4]), le.Uint32(b[off+4:off+8])
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return bad("short fmt chunk")
			}
			info.Channels = int(le.Uint16(b[body+2:]))
			info.Rate = int(le.Uint32(b[body+4:]))
			bits := le.Uint16(b[body+14:])
			switch tag := le.Uint16(b[body:]); {
			case tag == wavTagALaw && bits == 8:
				info.Format = FormatALaw
			case tag == wavTagULaw && bits == 8:
				info.Format = FormatULaw
			case tag == wavTagPCM && bits == 16:
				info.Format = FormatPCM
			default:
				return bad(fmt.Sprintf("unsupported format tag %d with %d bits", tag, bits))
			}
			if info.Channels != channels || info.Rate != sampleRate {
				return bad("not 8 kHz stereo")
			}
			if int(le.Uint16(b[body+12:])) != info.Format.frameBytes() {
				return bad("block align does not match the format")
			}
			sawFmt = true
		case "fact":
			if size >= 4 {
				info.FactOffset = int64(body)
			}
		case "data":
			if !sawFmt {
				return bad("data before fmt")
			}
			info.DataOffset, info.DataLen = int64(body), size
			return info, nil
		}
		// Chunks are word-aligned; a size that runs past b means the data
		// chunk is not in this header.
		next := int64(body) + int64(size) + int64(size&1)
		if next > int64(len(b)) {
			return bad("chunk " + fmt.Sprintf("%q", id) + " runs past the header")
		}
		off = int(next)
	}
	return bad("no data chunk")
}
