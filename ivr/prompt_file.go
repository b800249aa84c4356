package ivr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// WAV format codes a prompt may use.
const (
	wavPCM        = 1
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xFFFE
)

// maxWAVHeader is how far into a file the fmt and data chunks are looked
// for; editors put LIST chunks first, but never kilobytes of them.
const maxWAVHeader = 64 << 10

// convertHint is the documented conversion command.
const convertHint = "convert: sox in.wav -r 8000 -c 1 -b 16 -e signed-integer out.wav"

// checkPromptFile returns "" if name is an 8 kHz mono WAV (16-bit PCM or
// 8-bit G.711) in fsys, else a message saying what is wrong and how to fix it.
func checkPromptFile(fsys fs.FS, name string) string {
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("prompt file %q not found in the prompt directory", name)
		}
		return fmt.Sprintf("prompt file %q: %v", name, err)
	}
	defer f.Close()
	head, err := io.ReadAll(io.LimitReader(f, maxWAVHeader))
	if err != nil {
		return fmt.Sprintf("prompt file %q: %v", name, err)
	}
	if msg := checkWAV(head); msg != "" {
		return fmt.Sprintf("prompt %q %s", name, msg)
	}
	return ""
}

// checkWAV inspects the start of a RIFF/WAVE file.
func checkWAV(b []byte) string {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return "is not a WAV file (" + convertHint + ")"
	}
	var format, channels, bits uint16
	var rate uint32
	haveFmt := false
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return "has a broken fmt chunk (" + convertHint + ")"
			}
			format = binary.LittleEndian.Uint16(b[body:])
			channels = binary.LittleEndian.Uint16(b[body+2:])
			rate = binary.LittleEndian.Uint32(b[body+4:])
			bits = binary.LittleEndian.Uint16(b[body+14:])
			if format == wavExtensible && size >= 40 && body+26 <= len(b) {
				format = binary.LittleEndian.Uint16(b[body+24:]) // the sub-format GUID starts with the code
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return "has audio before its fmt chunk (" + convertHint + ")"
			}
			if size == 0 {
				return "has no audio"
			}
			return checkFormat(format, channels, rate, bits)
		}
		if size < 0 || size > len(b) {
			break
		}
		off = body + size + size&1
	}
	if haveFmt {
		if msg := checkFormat(format, channels, rate, bits); msg != "" {
			return msg
		}
	}
	return "has no data chunk near its start (" + convertHint + ")"
}

func checkFormat(format, channels uint16, rate uint32, bits uint16) string {
	ok := channels == 1 && rate == 8000 &&
		(format == wavPCM && bits == 16 || (format == wavALaw || format == wavMuLaw) && bits == 8)
	if ok {
		return ""
	}
	enc := map[uint16]string{wavPCM: "PCM", wavALaw: "A-law", wavMuLaw: "µ-law"}[format]
	if enc == "" {
		enc = fmt.Sprintf("format %d", format)
	}
	return fmt.Sprintf("is %d Hz, %d channel(s), %d-bit %s; prompts must be 8000 Hz mono 16-bit PCM or 8-bit G.711 (%s)", rate, channels, bits, enc, convertHint)
}
