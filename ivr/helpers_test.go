package ivr

import (
	"encoding/binary"
	"os"
	"testing"
	"testing/fstest"

	"github.com/yimen/yimen/internal/calendar"
)

// wavBytes builds a minimal WAV file with the given format fields.
func wavBytes(format, channels uint16, rate uint32, bits uint16, dataLen int) []byte {
	b := make([]byte, 44+dataLen)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+dataLen))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], format)
	binary.LittleEndian.PutUint16(b[22:], channels)
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], rate*uint32(channels)*uint32(bits)/8)
	binary.LittleEndian.PutUint16(b[32:], channels*bits/8)
	binary.LittleEndian.PutUint16(b[34:], bits)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(dataLen))
	return b
}

// testPrompts is a prompt directory with one of each kind of file.
func testPrompts() fstest.MapFS {
	return fstest.MapFS{
		"welcome.wav": {Data: wavBytes(wavPCM, 1, 8000, 16, 160)},
		"alaw.wav":    {Data: wavBytes(wavALaw, 1, 8000, 8, 80)},
		"stereo.wav":  {Data: wavBytes(wavPCM, 2, 16000, 16, 160)},
		"notwav.wav":  {Data: []byte("ID3\x03 this is an mp3 renamed")},
	}
}

// shippedCalendar loads configs/calendars, the real cn calendar.
func shippedCalendar(t testing.TB) *calendar.Calendar {
	t.Helper()
	c, err := calendar.Load(os.DirFS("../configs"), "calendars")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testLoader(t testing.TB) Loader {
	return Loader{Prompts: testPrompts(), Calendars: map[string]*calendar.Calendar{"cn": shippedCalendar(t)}}
}

// loadOne loads src as flow name (plus a trivial flow "other" to jump to).
func loadOne(t testing.TB, l Loader, name, src string) (*Set, error) {
	t.Helper()
	return l.Load(fstest.MapFS{
		name + ".ivr": {Data: []byte(src)},
		"other.ivr":   {Data: []byte("main:\n  hangup\n")},
	})
}

func mustLoad(t testing.TB, files map[string]string) *Set {
	t.Helper()
	fsys := fstest.MapFS{}
	for n, src := range files {
		fsys[n+".ivr"] = &fstest.MapFile{Data: []byte(src)}
	}
	s, err := testLoader(t).Load(fsys)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return s
}
