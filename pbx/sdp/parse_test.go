package sdp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

// codecList renders codecs as "PT name/rate[/ch]" for compact comparison.
func codecList(cs []Codec) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		s := fmt.Sprintf("%d %s/%d", c.PT, c.Name, c.Rate)
		if c.Channels != 1 {
			s += fmt.Sprintf("/%d", c.Channels)
		}
		out = append(out, s)
	}
	return out
}

func TestParseOffers(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		addr       string
		port       int
		proto      string
		codecs     []string
		dtmfPT     int // -1: none
		dtmfFmtp   string
		dir        Direction
		ptime      int
		hasVideo   bool
		media      int
		audioIndex int
		hold       bool
	}{
		{"sipp uac", sippUAC, "127.0.0.1", 6000, "RTP/AVP", []string{"0 PCMU/8000"}, -1, "", SendRecv, 0, false, 1, 0, false},
		{"sipp uac_pcap", sippUACPcap, "127.0.0.1", 6004, "RTP/AVP", []string{"8 PCMA/8000"}, 101, "0-11,16", SendRecv, 0, false, 1, 0, false},
		{"yealink", yealink, "192.168.1.50", 11796, "RTP/AVP",
			[]string{"0 PCMU/8000", "8 PCMA/8000", "18 G729/8000", "9 G722/8000"}, 101, "0-15", SendRecv, 20, false, 1, 0, false},
		{"linphone static PTs without rtpmap", linphone, "192.168.1.20", 7078, "RTP/AVP",
			[]string{"96 opus/48000/2", "97 speex/16000", "98 speex/8000", "0 PCMU/8000", "8 PCMA/8000"}, 100, "", SendRecv, 0, true, 2, 0, false},
		{"zoiper", zoiper, "10.0.0.5", 8000, "RTP/AVP",
			[]string{"106 opus/48000/2", "9 G722/8000", "0 PCMU/8000", "8 PCMA/8000", "3 GSM/8000"}, 101, "0-16", SendRecv, 0, false, 1, 0, false},
		{"webrtc media-level c= only", webrtc, "203.0.113.7", 54321, "UDP/TLS/RTP/SAVPF",
			[]string{"111 opus/48000/2", "63 red/48000/2", "9 G722/8000", "0 PCMU/8000", "8 PCMA/8000", "13 CN/8000"}, 126, "", SendRecv, 0, false, 1, 0, false},
		{"audio second of four m= lines, dynamic 96 DTMF", multiMedia, "10.1.1.1", 5000, "RTP/AVP",
			[]string{"8 PCMA/8000", "0 PCMU/8000"}, 96, "", SendRecv, 0, true, 4, 1, false},
		{"media c= and direction win", sessionVsMediaConn, "10.0.0.2", 4000, "RTP/AVP", []string{"0 PCMU/8000"}, -1, "", SendRecv, 0, false, 1, 0, false},
		{"old-style hold", oldHold, "0.0.0.0", 4000, "RTP/AVP", []string{"0 PCMU/8000", "8 PCMA/8000"}, -1, "", SendRecv, 0, false, 1, 0, true},
		{"ipv6 recvonly ptime", ipv6, "2001:db8::1", 4000, "RTP/AVP", []string{"8 PCMA/8000"}, -1, "", RecvOnly, 30, false, 1, 0, false},
	}
	for _, tt := range tests {
		for _, ending := range []string{"crlf", "lf"} {
			t.Run(tt.name+"/"+ending, func(t *testing.T) {
				body := tt.body
				if ending == "crlf" {
					body = crlf(body)
				}
				s, err := Parse([]byte(body))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if want := netip.MustParseAddr(tt.addr); s.Addr != want {
					t.Errorf("Addr = %v, want %v", s.Addr, want)
				}
				if s.Port != tt.port || s.Proto != tt.proto {
					t.Errorf("Port, Proto = %d %s, want %d %s", s.Port, s.Proto, tt.port, tt.proto)
				}
				if got := codecList(s.Codecs); !slices.Equal(got, tt.codecs) {
					t.Errorf("Codecs = %q, want %q", got, tt.codecs)
				}
				switch {
				case tt.dtmfPT < 0 && s.DTMF != nil:
					t.Errorf("DTMF = %+v, want none", *s.DTMF)
				case tt.dtmfPT >= 0 && s.DTMF == nil:
					t.Errorf("DTMF = nil, want PT %d", tt.dtmfPT)
				case tt.dtmfPT >= 0 && (int(s.DTMF.PT) != tt.dtmfPT || s.DTMF.Rate != 8000 || s.DTMF.Fmtp != tt.dtmfFmtp):
					t.Errorf("DTMF = %+v, want PT %d rate 8000 fmtp %q", *s.DTMF, tt.dtmfPT, tt.dtmfFmtp)
				}
				if s.Direction != tt.dir || s.PTime != tt.ptime {
					t.Errorf("Direction, PTime = %s %d, want %s %d", s.Direction, s.PTime, tt.dir, tt.ptime)
				}
				if s.HasVideo != tt.hasVideo || len(s.Media) != tt.media || s.AudioIndex != tt.audioIndex {
					t.Errorf("HasVideo, len(Media), AudioIndex = %v %d %d, want %v %d %d",
						s.HasVideo, len(s.Media), s.AudioIndex, tt.hasVideo, tt.media, tt.audioIndex)
				}
				if IsHold(s) != tt.hold {
					t.Errorf("IsHold = %v, want %v", IsHold(s), tt.hold)
				}
			})
		}
	}
}

func TestParseKeepsOriginAndOtherMedia(t *testing.T) {
	s, err := Parse([]byte(crlf(multiMedia)))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Origin{Username: "-", SessionID: 1, Version: 1, Address: "10.1.1.1"}); s.Origin != want {
		t.Errorf("Origin = %+v, want %+v", s.Origin, want)
	}
	want := []Media{
		{Type: "video", Port: 5002, Proto: "RTP/AVP", Formats: "96"},
		{Type: "audio", Port: 5000, Proto: "RTP/AVP", Formats: "8 0 96"},
		{Type: "image", Port: 5004, Proto: "udptl", Formats: "t38"},
		{Type: "application", Port: 5006, Proto: "UDP/BFCP", Formats: "*"},
	}
	if !slices.Equal(s.Media, want) {
		t.Errorf("Media = %+v\nwant %+v", s.Media, want)
	}
	o, err := Parse([]byte(crlf(webrtc)))
	if err != nil {
		t.Fatal(err)
	}
	if o.Origin.SessionID != 4611731400430051336 || o.Origin.Version != 2 {
		t.Errorf("webrtc Origin = %+v", o.Origin)
	}
}

func TestParseFmtpAndChoices(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(t *testing.T, s *Session)
	}{
		{"fmtp kept per codec", yealink, func(t *testing.T, s *Session) {
			if c := s.codec(18); c == nil || c.Fmtp != "annexb=no" {
				t.Errorf("G729 = %+v, want fmtp annexb=no", c)
			}
		}},
		{"refused audio skipped for a live one", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 0 RTP/AVP 0
m=audio 4002 RTP/AVP 8
`, func(t *testing.T, s *Session) {
			if s.AudioIndex != 1 || s.Port != 4002 || codecList(s.Codecs)[0] != "8 PCMA/8000" {
				t.Errorf("chose index %d port %d %v, want the second stream", s.AudioIndex, s.Port, codecList(s.Codecs))
			}
		}},
		{"all audio refused keeps the first", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 0 RTP/AVP 0
m=audio 0 RTP/AVP 8
`, func(t *testing.T, s *Session) {
			if s.AudioIndex != 0 || s.Port != 0 {
				t.Errorf("chose index %d port %d, want 0 0", s.AudioIndex, s.Port)
			}
		}},
		{"session-level direction and ptime apply when media is silent", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
a=inactive
a=ptime:40
m=audio 4000 RTP/AVP 0
`, func(t *testing.T, s *Session) {
			if s.Direction != Inactive || s.PTime != 40 || !IsHold(s) {
				t.Errorf("Direction %s PTime %d, want inactive 40 and hold", s.Direction, s.PTime)
			}
		}},
		{"sendonly is hold", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 4000 RTP/AVP 0
a=sendonly
`, func(t *testing.T, s *Session) {
			if !IsHold(s) {
				t.Error("sendonly offer not seen as hold")
			}
		}},
		{"multicast ttl and port count", `v=0
o=- 1 2 IN IP4 224.2.1.1
s=-
c=IN IP4 224.2.1.1/127
t=0 0
m=audio 4000/2 RTP/AVP 0
`, func(t *testing.T, s *Session) {
			if s.Addr != netip.MustParseAddr("224.2.1.1") || s.Port != 4000 {
				t.Errorf("Addr %v Port %d, want 224.2.1.1 4000", s.Addr, s.Port)
			}
		}},
		{"duplicate payload types and rtpmaps: first wins", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 4000 RTP/AVP 96 96 0
a=rtpmap:96 PCMA/8000
a=rtpmap:96 opus/48000/2
a=rtpmap:120 never/listed
`, func(t *testing.T, s *Session) {
			if got := codecList(s.Codecs); !slices.Equal(got, []string{"96 PCMA/8000", "0 PCMU/8000"}) {
				t.Errorf("Codecs = %q", got)
			}
		}},
		{"dynamic PT without rtpmap has no name", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 4000 RTP/AVP 97 8
`, func(t *testing.T, s *Session) {
			if s.Codecs[0] != (Codec{PT: 97}) {
				t.Errorf("Codecs[0] = %+v, want bare PT 97", s.Codecs[0])
			}
		}},
		{"only telephone-event/48000 is no DTMF for G.711", `v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 4000 RTP/AVP 0 101
a=rtpmap:101 telephone-event/48000
`, func(t *testing.T, s *Session) {
			if s.DTMF != nil || len(s.Codecs) != 1 {
				t.Errorf("DTMF %+v Codecs %v, want none and PCMU only", s.DTMF, codecList(s.Codecs))
			}
		}},
		{"blank lines and unknown types tolerated", "v=0\r\n\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nx=unknown\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n\r\n",
			func(t *testing.T, s *Session) {
				if s.Port != 4000 {
					t.Errorf("Port = %d", s.Port)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseRejects(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
	const conn = "c=IN IP4 10.0.0.1\r\n"
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "empty body"},
		{"garbage", "hello world\x00\xff", "not a <type>=<value> line"},
		{"http instead of sdp", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "line 1: not a <type>=<value>"},
		{"no v= first", "o=- 1 2 IN IP4 10.0.0.1\r\nv=0\r\n", "want v=0 first"},
		{"wrong version", "v=1\r\n", "want v=0 first"},
		{"huge", "v=0\r\n" + strings.Repeat("a=x\r\n", 4000), "limit is 16384"},
		{"missing o=", "v=0\r\ns=-\r\n" + conn + "m=audio 4000 RTP/AVP 0\r\n", "missing o= line"},
		{"short o=", "v=0\r\no=- 1 2 IN IP4\r\n", "o= wants 6 fields"},
		{"o= id not a number", "v=0\r\no=- abc 2 IN IP4 1.2.3.4\r\n", "session id \"abc\""},
		{"o= version overflows", "v=0\r\no=- 1 99999999999999999999 IN IP4 1.2.3.4\r\n", "o= version"},
		{"missing m=", head + conn, "missing m= line"},
		{"no audio", head + conn + "m=video 4000 RTP/AVP 96\r\n", "no RTP audio stream among 1 m= lines"},
		{"bad port", head + conn + "m=audio 70000 RTP/AVP 0\r\n", "m= port \"70000\" is not 0-65535"},
		{"port not a number", head + conn + "m=audio x RTP/AVP 0\r\n", "m= port \"x\""},
		{"negative port", head + conn + "m=audio -1 RTP/AVP 0\r\n", "m= port \"-1\""},
		{"m= without formats", head + conn + "m=audio 4000 RTP/AVP\r\n", "m= wants <media> <port> <proto> <formats>"},
		{"payload type out of range", head + conn + "m=audio 4000 RTP/AVP 0 200\r\n", "payload type \"200\" is not 0-127"},
		{"no c= anywhere", head + "m=audio 4000 RTP/AVP 0\r\n", "line 5: no c= line for the audio stream"},
		{"c= non-IN network", head + "c=ATM NSAP 47.0091\r\nm=audio 4000 RTP/AVP 0\r\n", "network type \"ATM\" is not IN"},
		{"c= IP5", head + "c=IN IP5 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n", "address type \"IP5\" is not IP4 or IP6"},
		{"c= host name", head + "c=IN IP4 pbx.example.com\r\nm=audio 4000 RTP/AVP 0\r\n", "not an IP literal"},
		{"c= IP4 with IPv6", head + "c=IN IP4 ::1\r\nm=audio 4000 RTP/AVP 0\r\n", "says IP4 but \"::1\" is not IPv4"},
		{"c= IP6 with IPv4", head + "c=IN IP6 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n", "says IP6"},
		{"c= IPv6 zone", head + "c=IN IP6 fe80::1%eth0\r\nm=audio 4000 RTP/AVP 0\r\n", "not an IP literal"},
		{"media c= bad", head + conn + "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 300.1.1.1\r\n", "line 7: c= address \"300.1.1.1\""},
		{"rtpmap without rate", head + conn + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", "a=rtpmap wants <name>/<rate>"},
		{"rtpmap zero rate", head + conn + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n", "clock rate \"0\""},
		{"rtpmap zero channels", head + conn + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/0\r\n", "channels \"0\""},
		{"rtpmap bad PT", head + conn + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:x PCMU/8000\r\n", "a=rtpmap payload type \"x\""},
		{"fmtp bad PT", head + conn + "m=audio 4000 RTP/AVP 96\r\na=fmtp:999 0-16\r\n", "a=fmtp payload type \"999\""},
		{"NUL inside a line", head + conn + "m=audio 4000 RTP/AVP 0\r\na=x\x00y\r\n", "control character 0x00"},
		{"bare CR inside a line", head + "c=IN IP4 10.0.0.1\rm=audio 1 RTP/AVP 0\r\n", "control character 0x0d"},
		{"too many m= lines", head + conn + strings.Repeat("m=video 0 RTP/AVP 96\r\n", 65), "more than 64 m= lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error containing %q", s, tt.want)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error %v does not wrap errs.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name the problem %q", err, tt.want)
			}
		})
	}
}

func TestParseLimitIsInclusive(t *testing.T) {
	base := crlf(sippUAC)
	pad := MaxBodySize - len(base) - len("a=\r\n")
	body := base + "a=" + strings.Repeat("x", pad) + "\r\n"
	if len(body) != MaxBodySize {
		t.Fatalf("test body is %d bytes", len(body))
	}
	if _, err := Parse([]byte(body)); err != nil {
		t.Errorf("body of exactly MaxBodySize refused: %v", err)
	}
	if _, err := Parse([]byte(body + "\n")); err == nil {
		t.Error("body one byte over MaxBodySize accepted")
	}
}

func TestParseCryptoLines(t *testing.T) {
	s, err := Parse([]byte(deskPhoneSRTP))
	if err != nil {
		t.Fatal(err)
	}
	if !s.SDES() || s.DTLS() || s.Proto != ProtoSAVP || len(s.Crypto) != 3 {
		t.Fatalf("sdes=%v proto=%q crypto lines=%d", s.SDES(), s.Proto, len(s.Crypto))
	}
	want := []struct {
		tag    int
		suite  string
		keyLen int
		plain  bool
	}{
		{1, "AES_CM_128_HMAC_SHA1_80", 30, false}, // an MKI
		{2, "AEAD_AES_128_GCM", 28, false},        // a session parameter
		{3, "AES_CM_128_HMAC_SHA1_32", 30, true},  // a lifetime is read (below)
	}
	if got := s.Crypto[2].Lifetime; got != 1<<20 {
		t.Errorf("crypto 3: lifetime %d, want 2^20", got)
	}
	for i, w := range want {
		c := s.Crypto[i]
		if c.Tag != w.tag || c.Suite != w.suite || len(c.Key) != w.keyLen || c.Plain != w.plain {
			t.Errorf("crypto %d: tag %d suite %s key %d bytes plain %v, want %+v", i, c.Tag, c.Suite, len(c.Key), c.Plain, w)
		}
	}
	plainOffer, err := Parse([]byte(sippUAC))
	if err != nil {
		t.Fatal(err)
	}
	if plainOffer.SDES() || plainOffer.DTLS() {
		t.Fatal("an RTP/AVP offer without keys is called SRTP")
	}
	browser, err := Parse([]byte(webrtc))
	if err != nil {
		t.Fatal(err)
	}
	if browser.SDES() || !browser.DTLS() {
		t.Fatalf("a browser's %s offer: sdes=%v dtls=%v, want DTLS only", browser.Proto, browser.SDES(), browser.DTLS())
	}
}

// A key's lifetime (RFC 4568 §6.1) is 2^n or a decimal count up to 2^48;
// a line with one the relay cannot read is passed over, not taken with
// no limit.
func TestParseCryptoLifetime(t *testing.T) {
	const key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
	for _, c := range []struct {
		params   string
		lifetime uint64
		plain    bool
	}{
		{"", 0, true},
		{"|2^31", 1 << 31, true},
		{"|2^48", 1 << 48, true},
		{"|1000", 1000, true},
		{"|2^31|1:4", 1 << 31, false}, // an MKI
		{"|2^49", 0, false},
		{"|2^0", 0, false},
		{"|0", 0, false},
		{"|281474976710657", 0, false}, // 2^48 + 1
		{"|-5", 0, false},
		{"|2^x", 0, false},
		{"|10|20", 10, false},
	} {
		body := strings.Replace(baresipSRTP, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:GM4lG+ho5WzZy2NSuZnzOP6ifrW4HxoiXo/r6pBM",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:"+key+c.params, 1)
		s, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("%q: %v", c.params, err)
		}
		var got *Crypto
		for i := range s.Crypto {
			if s.Crypto[i].Tag == 1 {
				got = &s.Crypto[i]
			}
		}
		if got == nil || got.Lifetime != c.lifetime || got.Plain != c.plain {
			t.Errorf("inline key%s: %+v, want lifetime %d plain %v", c.params, got, c.lifetime, c.plain)
		}
	}
}

func TestParseRefusesMalformedCrypto(t *testing.T) {
	for name, line := range map[string]string{
		"tag not a number": "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"no suite":         "a=crypto:1",
		"no inline":        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:https://keys.example/1",
		"key not base64":   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!!",
		"key too long":     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.Repeat("QUFB", 30),
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(baresipSRTP, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:GM4lG+ho5WzZy2NSuZnzOP6ifrW4HxoiXo/r6pBM", line, 1)
			_, err := Parse([]byte(body))
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "line 16") {
				t.Fatalf("err = %v, want ErrInvalid naming line 16", err)
			}
		})
	}
	many := strings.Replace(baresipSRTP, "a=sendrecv\n", "a=sendrecv\n"+strings.Repeat("a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n", maxCrypto), 1)
	if _, err := Parse([]byte(many)); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("%d a=crypto lines accepted: %v", maxCrypto+2, err)
	}
}

func TestBuildWritesTheCryptoLine(t *testing.T) {
	key := bytes.Repeat([]byte{0xa5}, 30)
	out := Build(Rewrite{Addr: netip.MustParseAddr("127.0.0.1"), Port: 20000, Proto: ProtoSAVP,
		Codecs: []Codec{{PT: 8, Name: "PCMA", Rate: 8000}}, Crypto: &Crypto{Tag: 2, Suite: "AES_CM_128_HMAC_SHA1_80", Key: key}}, nil)
	if !bytes.Contains(out, []byte("m=audio 20000 RTP/SAVP 8\r\n")) ||
		!bytes.Contains(out, []byte("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"+base64.StdEncoding.EncodeToString(key)+"\r\n")) {
		t.Fatalf("built:\n%s", out)
	}
}
