package sdp

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// rewriteOf turns a parsed session back into what Build takes, so that
// Build followed by Parse can be checked to give the same values.
func rewriteOf(s *Session) Rewrite {
	return Rewrite{
		Addr: s.Addr, Port: s.Port, Codecs: s.Codecs, DTMF: s.DTMF,
		Direction: s.Direction, SessionID: s.Origin.SessionID, Version: s.Origin.Version,
		Username: s.Origin.Username, Proto: s.Proto, PTime: s.PTime, Crypto: firstCrypto(s),
	}
}

// firstCrypto is the first a=crypto line, as an answer would carry it.
func firstCrypto(s *Session) *Crypto {
	if len(s.Crypto) == 0 {
		return nil
	}
	c := s.Crypto[0]
	c.Plain = true // Build writes the key alone, without MKI or parameters
	return &c
}

// sameAudio reports how b differs from a in the values a relay uses, or "".
func sameAudio(a, b *Session) string {
	var diff []string
	if a.Addr != b.Addr || a.Port != b.Port || a.Proto != b.Proto {
		diff = append(diff, "addr/port/proto")
	}
	if !slices.Equal(a.Codecs, b.Codecs) {
		diff = append(diff, "codecs")
	}
	if (a.DTMF == nil) != (b.DTMF == nil) {
		diff = append(diff, "dtmf presence")
	} else if a.DTMF != nil {
		want := *a.DTMF
		if want.Fmtp == "" {
			want.Fmtp = TelephoneEventCodec(0).Fmtp // Build's default
		}
		if *b.DTMF != want {
			diff = append(diff, "dtmf")
		}
	}
	if c := firstCrypto(a); (c == nil) != (len(b.Crypto) == 0) ||
		c != nil && (len(b.Crypto) != 1 || b.Crypto[0].Tag != c.Tag || b.Crypto[0].Suite != c.Suite || !bytes.Equal(b.Crypto[0].Key, c.Key) || !b.Crypto[0].Plain) {
		diff = append(diff, "crypto")
	}
	if a.Direction != b.Direction || a.PTime != b.PTime {
		diff = append(diff, "direction/ptime")
	}
	if len(a.Media) != len(b.Media) || a.AudioIndex != b.AudioIndex || a.HasVideo != b.HasVideo {
		diff = append(diff, "m= lines")
	}
	for i := range min(len(a.Media), len(b.Media)) {
		if a.Media[i].Type != b.Media[i].Type || a.Media[i].Proto != b.Media[i].Proto {
			diff = append(diff, "m= line types")
		}
	}
	return strings.Join(diff, ", ")
}

func TestBuildOffer(t *testing.T) {
	got := Build(Rewrite{
		Addr:      netip.MustParseAddr("10.9.8.7"),
		Port:      30000,
		Codecs:    SupportedCodecs(),
		DTMF:      &Codec{PT: 101, Name: TelephoneEvent, Rate: 8000, Channels: 1, Fmtp: "0-16"},
		Direction: SendRecv,
		SessionID: 42,
		Version:   43,
		Username:  "yimen",
		PTime:     20,
	}, nil)
	want := "v=0\r\n" +
		"o=yimen 42 43 IN IP4 10.9.8.7\r\n" +
		"s=-\r\n" +
		"c=IN IP4 10.9.8.7\r\n" +
		"t=0 0\r\n" +
		"m=audio 30000 RTP/AVP 0 8 101\r\n" +
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:8 PCMA/8000\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\n" +
		"a=fmtp:101 0-16\r\n" +
		"a=ptime:20\r\n" +
		"a=sendrecv\r\n"
	if string(got) != want {
		t.Errorf("Build =\n%s\nwant\n%s", got, want)
	}
}

func TestBuildAnswerRefusesOtherStreamsInOrder(t *testing.T) {
	offer, err := Parse([]byte(crlf(multiMedia)))
	if err != nil {
		t.Fatal(err)
	}
	codecs, err := offer.Negotiate([]string{PCMU, PCMA})
	if err != nil {
		t.Fatal(err)
	}
	body := Build(Rewrite{
		Addr: netip.MustParseAddr("192.0.2.1"), Port: 20000, Codecs: codecs, DTMF: offer.DTMF,
		Direction: AnswerDirection(offer.Direction), SessionID: 1, Version: 1,
	}, offer)
	var mLines []string
	for _, l := range strings.Split(string(body), "\r\n") {
		if strings.HasPrefix(l, "m=") {
			mLines = append(mLines, l)
		}
	}
	want := []string{
		"m=video 0 RTP/AVP 96",
		"m=audio 20000 RTP/AVP 8 0 96",
		"m=image 0 udptl t38",
		"m=application 0 UDP/BFCP *",
	}
	if !slices.Equal(mLines, want) {
		t.Errorf("m= lines = %q\nwant %q", mLines, want)
	}
	answer, err := Parse(body)
	if err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, body)
	}
	if answer.AudioIndex != 1 || answer.Port != 20000 || answer.DTMF == nil || answer.DTMF.PT != 96 {
		t.Errorf("answer audio = index %d port %d dtmf %+v", answer.AudioIndex, answer.Port, answer.DTMF)
	}
}

func TestBuildUsesCRLFOnly(t *testing.T) {
	offer, err := Parse([]byte(linphone)) // LF-only input
	if err != nil {
		t.Fatal(err)
	}
	body := Build(rewriteOf(offer), offer)
	if !bytes.HasSuffix(body, []byte("\r\n")) || bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
		t.Errorf("body has a line not ended by CRLF:\n%q", body)
	}
}

func TestBuildRoundTrip(t *testing.T) {
	for _, sample := range sampleOffers() {
		s, err := Parse([]byte(crlf(sample)))
		if err != nil {
			t.Fatal(err)
		}
		body := Build(rewriteOf(s), s)
		back, err := Parse(body)
		if err != nil {
			t.Fatalf("Build output does not parse: %v\n%s", err, body)
		}
		if d := sameAudio(s, back); d != "" {
			t.Errorf("round trip of o=%d changed %s:\n%s", s.Origin.SessionID, d, body)
		}
		if back.Origin.SessionID != s.Origin.SessionID || back.Origin.Version != s.Origin.Version {
			t.Errorf("o= changed: %+v -> %+v", s.Origin, back.Origin)
		}
	}
}

func TestBuildIPv6AndEdgeValues(t *testing.T) {
	tests := []struct {
		name string
		r    Rewrite
		want []string // lines that must be present
	}{
		{"ipv6", Rewrite{Addr: netip.MustParseAddr("2001:db8::5"), Port: 4000, Codecs: SupportedCodecs()[:1]},
			[]string{"o=- 0 0 IN IP6 2001:db8::5", "c=IN IP6 2001:db8::5", "a=sendrecv"}},
		{"zero addr is written as old-style hold", Rewrite{Port: 4000, Codecs: SupportedCodecs()[:1], Direction: SendOnly},
			[]string{"c=IN IP4 0.0.0.0", "a=sendonly"}},
		{"no codecs refuses the stream", Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000},
			[]string{"m=audio 0 RTP/AVP 0"}},
		{"out of range port refuses the stream", Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 70000, Codecs: SupportedCodecs()},
			[]string{"m=audio 0 RTP/AVP 0 8"}},
		{"unknown direction becomes sendrecv", Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000, Codecs: SupportedCodecs(), Direction: "sideways"},
			[]string{"a=sendrecv"}},
		{"username with a space cannot shift o= fields", Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000, Codecs: SupportedCodecs(), Username: "a b"},
			[]string{"o=- 0 0 IN IP4 10.0.0.1"}},
		{"fmtp cannot inject lines", Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000,
			Codecs: []Codec{{PT: 18, Name: "G729", Rate: 8000, Fmtp: "annexb=no\r\na=inactive"}}},
			[]string{"a=fmtp:18 annexb=noa=inactive", "a=sendrecv"}},
		{"DTMF defaults", Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000, Codecs: SupportedCodecs(), DTMF: &Codec{PT: 101}},
			[]string{"m=audio 4000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := string(Build(tt.r, nil))
			lines := strings.Split(body, "\r\n")
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("missing line %q in\n%s", w, body)
				}
			}
			if _, err := Parse([]byte(body)); err != nil {
				t.Errorf("Build output does not parse: %v", err)
			}
		})
	}
}

func TestAppendReusesBuffer(t *testing.T) {
	r := Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000, Codecs: SupportedCodecs()}
	buf := make([]byte, 0, 1024)
	out := Append(buf, r, nil)
	if &out[0] != &buf[:1][0] {
		t.Error("Append did not write into the caller's buffer")
	}
	if !bytes.Equal(out, Build(r, nil)) {
		t.Error("Append and Build disagree")
	}
}
