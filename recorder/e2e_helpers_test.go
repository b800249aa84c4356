package recorder_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/recorder"
)

// writeTonePcap writes a pcap of RTP (PCMA, 20 ms packets) carrying a
// sine at freq for the given length, for SIPp's play_pcap_audio.
func writeTonePcap(t *testing.T, freq float64, length time.Duration) string {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	packets := int(length / (20 * time.Millisecond))
	for i := range packets {
		rtp := recorder.RTPPacket(8, uint16(i), uint32(160*i), 0x5eed, recorder.ToneALaw(freq, 8000, 160*i, 160))
		udp := make([]byte, 8, 8+len(rtp))
		binary.BigEndian.PutUint16(udp[0:], 6000)
		binary.BigEndian.PutUint16(udp[2:], 6000)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(rtp)))
		udp = append(udp, rtp...)
		ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		var sum uint32
		for k := 0; k < 20; k += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[k:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		frame := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}, append(ip, udp...)...)
		rec := make([]byte, 16)
		at := time.Duration(i) * 20 * time.Millisecond
		le.PutUint32(rec[0:], uint32(1_700_000_000+at/time.Second))
		le.PutUint32(rec[4:], uint32(at%time.Second/time.Microsecond))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("tone-%.0f.pcap", freq))
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// scenarioWithPcap copies one of the shipped scenarios with its audio
// replaced by pcap.
func scenarioWithPcap(t *testing.T, name, pcap string) string {
	t.Helper()
	src, err := os.ReadFile(sipp.Scenario(name))
	if err != nil {
		t.Fatal(err)
	}
	const shipped = "/usr/share/sip-tester/g711a.pcap"
	if !bytes.Contains(src, []byte(shipped)) {
		t.Fatalf("%s does not play %s", name, shipped)
	}
	out := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(out, bytes.ReplaceAll(src, []byte(shipped), []byte(pcap)), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// api is the admin API of a PBX, with its token.
type api struct {
	t     testing.TB
	base  string
	token string
}

func (a api) do(method, path string, hdr map[string]string) (*http.Response, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// recording is the API's view of a recording.
type recording struct {
	ID         string    `json:"id"`
	Caller     string    `json:"caller"`
	Callee     string    `json:"callee"`
	Start      time.Time `json:"start"`
	DurationMS int64     `json:"duration_ms"`
	SizeBytes  int64     `json:"size_bytes"`
	SM3        string    `json:"sm3"`
	State      string    `json:"state"`
	Format     string    `json:"format"`
	Encrypted  bool      `json:"encrypted"`
	Audio      string    `json:"audio"`
}

// waitRecording polls the search API until a recording in one of states
// appears, and returns it.
func (a api) waitRecording(states ...string) recording {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		res, body := a.do("GET", "/api/v1/recordings?tenant=demo", nil)
		last = fmt.Sprintf("%d %s", res.StatusCode, body)
		var list []recording
		if res.StatusCode == 200 && json.Unmarshal(body, &list) == nil {
			for _, r := range list {
				for _, s := range states {
					if r.State == s {
						return r
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("no recording in state %v; last answer %s", states, strings.TrimSpace(last))
	return recording{}
}

// audio downloads a recording and decodes it.
func (a api) audio(r recording) ([]byte, recorder.TestAudio) {
	a.t.Helper()
	res, body := a.do("GET", r.Audio, nil)
	if res.StatusCode != 200 {
		a.t.Fatalf("GET %s: %d %s", r.Audio, res.StatusCode, body)
	}
	dec, err := recorder.DecodeTestWAV(body)
	if err != nil {
		a.t.Fatal(err)
	}
	return body, dec
}

// checkTone asserts that a span of one channel carries want, not other.
func checkTone(t *testing.T, a recorder.TestAudio, leg int, from, to, want, other float64) {
	t.Helper()
	x := a.Span(leg, from, to)
	got, leak := recorder.ToneAmplitude(x, want), recorder.ToneAmplitude(x, other)
	if len(x) == 0 || got < 4000 || leak > got/10 {
		t.Errorf("channel %d, %.2f-%.2f s: %.0f Hz at %.0f, %.0f Hz at %.0f; want a clear %.0f Hz tone",
			leg, from, to, want, got, other, leak, want)
	}
}

func checkSilent(t *testing.T, a recorder.TestAudio, leg int, from, to float64) {
	t.Helper()
	if rms := recorder.RMS(a.Span(leg, from, to)); rms > 20 {
		t.Errorf("channel %d, %.2f-%.2f s: RMS %.0f, want silence", leg, from, to, rms)
	}
}
