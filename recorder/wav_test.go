package recorder

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWAVHeaderRoundTripsAndSoxReadsIt(t *testing.T) {
	for _, f := range []Format{FormatALaw, FormatULaw, FormatPCM} {
		const frames = 8000 * 3 / 2
		h := wavHeader(f, frames)
		if len(h) != f.headerLen() {
			t.Fatalf("%s: header %d bytes, want %d", f, len(h), f.headerLen())
		}
		info, err := parseWAVHeader(h)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if info.Format != f || info.DataOffset != int64(len(h)) || info.DataLen != uint32(frames*f.frameBytes()) {
			t.Fatalf("%s: parsed %+v", f, info)
		}
		if _, err := exec.LookPath("sox"); err != nil {
			continue
		}
		path := filepath.Join(t.TempDir(), "x.wav")
		body := append(h, make([]byte, frames*f.frameBytes())...)
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("sox", "--i", path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: sox --i: %v\n%s", f, err, out)
		}
		want := map[Format]string{FormatALaw: "A-law", FormatULaw: "u-law", FormatPCM: "Signed Integer PCM"}[f]
		for _, s := range []string{"Channels       : 2", "Sample Rate    : 8000", "00:00:01.50", want} {
			if !strings.Contains(string(out), s) {
				t.Errorf("%s: sox --i lacks %q:\n%s", f, s, out)
			}
		}
	}
}

func TestWAVHeaderPlaceholderWhileGrowing(t *testing.T) {
	h := wavHeader(FormatALaw, -1)
	info, err := parseWAVHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if info.DataLen != unknownSize {
		t.Fatalf("data length %#x, want the unknown-size placeholder", info.DataLen)
	}
}

func TestParseWAVHeaderRejectsWhatItCannotRepair(t *testing.T) {
	good := wavHeader(FormatALaw, 10)
	mono := bytes.Clone(good)
	mono[22] = 1
	gsm := bytes.Clone(good)
	gsm[20] = 0x31
	for name, b := range map[string][]byte{
		"empty": nil, "not riff": []byte("RIFX0000WAVEfmt "), "truncated": good[:30],
		"mono": mono, "gsm": gsm, "no data": good[:len(good)-8],
	} {
		if _, err := parseWAVHeader(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseWAVHeader(f *testing.F) {
	f.Add(wavHeader(FormatALaw, 100))
	f.Add(wavHeader(FormatPCM, -1))
	f.Add(wavHeader(FormatULaw, 0)[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseWAVHeader(b)
		if err != nil {
			return
		}
		if !info.Format.valid() || info.DataOffset > int64(len(b)) || info.DataOffset < 12 {
			t.Fatalf("accepted %+v from %d bytes", info, len(b))
		}
	})
}
