package sdp

import (
	"net/netip"
	"testing"
)

// BenchmarkParseNegotiateBuild is one INVITE's SDP work: read the offer,
// pick codecs and write the answer.
func BenchmarkParseNegotiateBuild(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"yealink", crlf(yealink)},
		{"webrtc", crlf(webrtc)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			allowed := []string{PCMU, PCMA}
			addr := netip.MustParseAddr("192.0.2.1")
			buf := make([]byte, 0, 512)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				s, err := Parse(body)
				if err != nil {
					b.Fatal(err)
				}
				codecs, err := s.Negotiate(allowed)
				if err != nil {
					b.Fatal(err)
				}
				buf = Append(buf[:0], Rewrite{
					Addr: addr, Port: 30000, Codecs: codecs, DTMF: s.DTMF,
					Direction: AnswerDirection(s.Direction), SessionID: 1, Version: 1, PTime: s.PTime,
				}, s)
			}
		})
	}
}

// BenchmarkParse is the offer alone.
func BenchmarkParse(b *testing.B) {
	body := []byte(crlf(yealink))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild is the answer alone, into a reused buffer and a fresh one.
func BenchmarkBuild(b *testing.B) {
	s, err := Parse([]byte(crlf(yealink)))
	if err != nil {
		b.Fatal(err)
	}
	r := Rewrite{Addr: netip.MustParseAddr("192.0.2.1"), Port: 30000, Codecs: SupportedCodecs(), DTMF: s.DTMF, SessionID: 1, Version: 1}
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = Append(buf[:0], r, s)
		}
	})
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Build(r, s)
		}
	})
}
