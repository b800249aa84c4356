package b2bua

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/yimen/yimen/pbx/sdp"
)

type policyByExt map[string]SRTPPolicy

func (p policyByExt) SRTPPolicy(_, ext string) SRTPPolicy { return p[ext] }

// Which offers each policy takes, over which transport: SDES keys only
// over TLS (or WSS); a required extension only encrypted media; a
// browser's DTLS-SRTP left to its own leg, and counted as encrypted.
func TestOfferRefusalByPolicyAndTransport(t *testing.T) {
	const (
		plain  = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n"
		sdes   = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
		avpKey = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
		noKey  = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 8\r\n"
		mki    = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
		dtls   = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 UDP/TLS/RTP/SAVPF 8\r\na=fingerprint:sha-256 AB:CD\r\n"
	)
	m := &Manager{security: policyByExt{"opt": SRTPOptional, "req": SRTPRequired, "off": SRTPOff}}
	for _, tc := range []struct {
		ext, transport, body, refusal string
	}{
		{"opt", "UDP", plain, ""},
		{"opt", "TLS", sdes, ""},
		{"opt", "WSS", sdes, ""},
		{"opt", "UDP", sdes, "refused over UDP"},
		{"opt", "TCP", sdes, "refused over TCP"},
		{"opt", "UDP", avpKey, "refused over UDP"},
		{"opt", "TLS", noKey, "no usable a=crypto"},
		{"opt", "TLS", mki, "no usable a=crypto"},
		{"opt", "WS", dtls, ""},
		{"req", "TLS", sdes, ""},
		{"req", "TLS", plain, "SRTP required"},
		{"req", "UDP", plain, "SRTP required"},
		{"req", "WSS", dtls, ""},
		{"off", "TLS", sdes, "SRTP is off"},
		{"off", "TLS", plain, ""},
	} {
		s, err := sdp.Parse([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		got := m.offerRefusal("t", tc.ext, tc.transport, s)
		if tc.refusal == "" && got != "" || tc.refusal != "" && !strings.Contains(got, tc.refusal) {
			t.Errorf("%s over %s, %s: refusal %q, want %q", tc.ext, tc.transport, s.Proto, got, tc.refusal)
		}
		if strings.Contains(got, "WVNf") {
			t.Errorf("a refusal quotes the key: %q", got)
		}
	}
	if got := (&Manager{}).srtpPolicy("t", "x"); got != SRTPOptional {
		t.Errorf("without policies: %v, want optional", got)
	}
}

// Calls to a required extension go to its TLS contacts with an SDES
// offer, never to its UDP ones; a browser's contact (media encrypted by
// its DTLS-SRTP session) is called plain, and its plain answer taken.
func TestForkSRTPOfferByContact(t *testing.T) {
	m := &Manager{security: policyByExt{"req": SRTPRequired, "opt": SRTPOptional}, log: slog.New(slog.DiscardHandler)}
	plainAns, _ := sdp.Parse([]byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n"))
	for _, tc := range []struct {
		ext    string
		target Target
		called bool
		sdes   bool
		answer string // refusal of a plain answer
	}{
		{"req", Target{Transport: "TLS"}, true, true, "does not match"},
		{"req", Target{Transport: "UDP"}, false, false, ""},
		{"req", Target{Transport: "udp", Encrypted: true}, true, false, ""},
		{"opt", Target{Transport: "TLS"}, true, false, ""},
		{"opt", Target{Transport: "UDP"}, true, false, ""},
	} {
		c := &call{m: m, tenant: "t"}
		if got := c.offerSRTPTo(tc.ext, tc.target); got != tc.called || (c.srtpOffer[sideB] != nil) != tc.sdes {
			t.Errorf("%s at %+v: called %v, SDES offered %v; want %v, %v", tc.ext, tc.target, got, c.srtpOffer[sideB] != nil, tc.called, tc.sdes)
			continue
		}
		if !tc.called {
			continue
		}
		got := c.answerRefusal(&fork{ext: tc.ext, target: tc.target}, plainAns)
		if tc.answer == "" && got != "" || tc.answer != "" && !strings.Contains(got, tc.answer) {
			t.Errorf("%s at %+v: plain answer refusal %q, want %q", tc.ext, tc.target, got, tc.answer)
		}
	}
}

// A phone's key lifetime (RFC 4568 §6.1) reaches the relay leg that
// decrypts its packets, which enforces it (pbx/media).
func TestKeyLegKeepsTheKeysLifetime(t *testing.T) {
	h := newHarness(t, contacts{}, nil)
	br, err := h.m.relay.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = br.Close() })
	c := &call{m: h.m, id: "lifetime", bridge: br}
	s, err := sdp.Parse([]byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 8\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.keyLeg(sideA, s)
	if k, ok := c.leg(sideA).SRTPRecv(); !ok || k.Lifetime != 1<<20 {
		t.Errorf("leg keyed %v with lifetime %d, want 2^20", ok, k.Lifetime)
	}
}
