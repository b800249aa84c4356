package sdp

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/yimen/yimen/internal/errs"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		allowed []string
		want    []string
	}{
		{"keeps offer order, not allowed order", yealink, []string{PCMA, PCMU}, []string{"0 PCMU/8000", "8 PCMA/8000"}},
		{"allowed narrows", yealink, []string{PCMA}, []string{"8 PCMA/8000"}},
		{"names match case-insensitively", yealink, []string{"pcmu"}, []string{"0 PCMU/8000"}},
		{"static PTs without rtpmap", linphone, []string{PCMU, PCMA}, []string{"0 PCMU/8000", "8 PCMA/8000"}},
		{"webrtc offer", webrtc, []string{PCMU, PCMA}, []string{"0 PCMU/8000", "8 PCMA/8000"}},
		{"allowing an unsupported codec does not make it supported", yealink, []string{"G729", "G722", PCMA}, []string{"8 PCMA/8000"}},
		{"G.711 on a dynamic PT keeps the offer's PT", `v=0
o=- 1 1 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 4000 RTP/AVP 97 98
a=rtpmap:97 PCMA/8000
a=rtpmap:98 PCMU/16000
`, []string{PCMU, PCMA}, []string{"97 PCMA/8000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(crlf(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Negotiate(tt.allowed)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			if gl := codecList(got); !slices.Equal(gl, tt.want) {
				t.Errorf("Negotiate = %q, want %q", gl, tt.want)
			}
		})
	}
}

func TestNegotiateNoCommonCodecIs488(t *testing.T) {
	const g729Only = `v=0
o=- 1 1 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 4000 RTP/AVP 18 101
a=rtpmap:18 G729/8000
a=rtpmap:101 telephone-event/8000
`
	for _, tc := range []struct {
		name, body string
		allowed    []string
	}{
		{"only G.729 offered", g729Only, []string{PCMU, PCMA}},
		{"nothing allowed", sippUAC, nil},
		{"PCMA allowed, PCMU offered", sippUAC, []string{PCMA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Negotiate(tc.allowed)
			if got != nil || !errors.Is(err, ErrNoCommonCodec) || !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Negotiate = %v, %v; want nil and ErrNoCommonCodec wrapping ErrInvalid", got, err)
			}
			if !strings.Contains(err.Error(), "offered") {
				t.Errorf("error %q does not say what was offered", err)
			}
		})
	}
}

func TestSupportedCodecsIsAFreshSlice(t *testing.T) {
	a := SupportedCodecs()
	a[0].Name = "changed"
	if SupportedCodecs()[0].Name != PCMU {
		t.Error("changing one SupportedCodecs result changed the next")
	}
}

func TestAnswerDirection(t *testing.T) {
	for offer, want := range map[Direction]Direction{
		SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive, "": SendRecv,
	} {
		if got := AnswerDirection(offer); got != want {
			t.Errorf("AnswerDirection(%q) = %q, want %q", offer, got, want)
		}
	}
}

func TestIsHold(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"sendrecv", sippUAC, false},
		{"recvonly is not hold", ipv6, false},
		{"old style 0.0.0.0", oldHold, true},
		{"sendonly", strings.Replace(sippUAC, "a=rtpmap:0 PCMU/8000\n", "a=rtpmap:0 PCMU/8000\na=sendonly\n", 1), true},
		{"inactive", strings.Replace(sippUAC, "a=rtpmap:0 PCMU/8000\n", "a=rtpmap:0 PCMU/8000\na=inactive\n", 1), true},
		{"ipv6 unspecified", strings.Replace(ipv6, "c=IN IP6 2001:db8::1", "c=IN IP6 ::", 1), true},
	}
	for _, tt := range tests {
		s, err := Parse([]byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := IsHold(s); got != tt.want {
			t.Errorf("%s: IsHold = %v, want %v", tt.name, got, tt.want)
		}
	}
	if IsHold(nil) {
		t.Error("IsHold(nil) = true")
	}
}

// What a call keeps of an offer for its whole length (the codecs agreed,
// telephone-event, the direction) does not keep the offer's body.
func TestKeptOfferPartsDoNotHoldTheBody(t *testing.T) {
	body := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendonly\r\n" +
		"a=x-padding:" + strings.Repeat("p", 4000) + "\r\n"
	type kept struct {
		codecs []Codec
		dtmf   Codec
		dir    Direction
	}
	const n = 200
	held := make([]kept, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range held {
		s, err := Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		codecs, err := s.Negotiate([]string{PCMU, PCMA})
		if err != nil {
			t.Fatal(err)
		}
		for j := range codecs {
			codecs[j] = codecs[j].Detached()
		}
		held[i] = kept{codecs: codecs, dtmf: s.DTMF.Detached(), dir: s.Direction}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	if h := held[n-1]; len(h.codecs) != 2 || h.codecs[0].Name != PCMA || h.dtmf.Fmtp != "0-16" || h.dir != SendOnly {
		t.Fatalf("kept %+v", h)
	}
	runtime.KeepAlive(held)
	if per > 1024 {
		t.Errorf("each kept offer holds %d bytes, want far less than its %d-byte body", per, len(body))
	}
}

func TestDetachedCopiesWhatIsNotCommon(t *testing.T) {
	c := Codec{PT: 96, Name: "opus", Rate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}
	d := c.Detached()
	if d != c {
		t.Fatalf("Detached changed the codec: %+v → %+v", c, d)
	}
	if unsafe.StringData(d.Name) == unsafe.StringData(c.Name) || unsafe.StringData(d.Fmtp) == unsafe.StringData(c.Fmtp) {
		t.Error("an uncommon name or fmtp still shares the parsed text")
	}
}
