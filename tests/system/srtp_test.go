package system_test

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/mix"
	"github.com/yimen/yimen/tests/testpbx"
)

// srtpPBX is a PBX with a SIP-TLS listener whose tenant holds 1001 (and
// the extensions in more) to SRTP (required) and leaves the others
// optional. It returns the TLS listener's address and the certificate, as
// a file and as a pool.
func srtpPBX(t *testing.T, more ...string) (*testpbx.PBX, string, string, *x509.CertPool) {
	t.Helper()
	certFile, keyFile, pool := testpbx.SelfSigned(t)
	p := testpbx.Start(t, func(c *config.Config) {
		c.SIP.TLS = net.JoinHostPort(testpbx.Host(c), "0")
		c.SIP.TLSCert, c.SIP.TLSKey = certFile, keyFile
		c.Tenants[0].SRTPRequired = append([]string{"1001"}, more...)
	})
	addr := p.Server.ListenAddrs()["tls"]
	if addr == "" {
		t.Fatalf("no tls listener among %v", p.Server.ListenAddrs())
	}
	return p, addr, certFile, pool
}

// startSRTPBaresip is a baresip with the srtp module, trusting cafile for
// the PBX's TLS certificate.
func startSRTPBaresip(t *testing.T, host, toneHz int, cafile string) *baresip {
	t.Helper()
	requireBaresip(t)
	if dir, err := baresipModuleDir(); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "srtp.so")); err != nil {
			sipp.SkipUnlessCI(t, fmt.Errorf("baresip: no srtp module in %s (Debian's baresip-core has it): %w", dir, err))
		}
	}
	return startBaresip(t, host, toneHz, "module\t\t\tsrtp.so", "sip_cafile\t\t"+cafile, "")
}

// registerTLS creates the phone's account for ext over SIP-TLS at tlsAddr
// with media encryption mediaenc ("srtp-mand", or "" for none).
func (b *baresip) registerTLS(p *testpbx.PBX, ext, tlsAddr, mediaenc string) baresipEvent {
	b.t.Helper()
	b.ext = ext
	params := ""
	if mediaenc != "" {
		params = ";mediaenc=" + mediaenc
	}
	b.command("uanew", fmt.Sprintf("<sip:%s@%s;transport=tls>;auth_pass=%s;answermode=auto%s", ext, tlsAddr, p.Secrets[ext], params))
	return b.await(20*time.Second, "REGISTER_OK", "REGISTER_FAIL")
}

// srtpAndPlainPhones starts srtpPBX with two baresips registered: 1001
// over SIP-TLS with SRTP mandatory (on 127.0.90.host, sending toneA) and
// 1002 plain on UDP (on host+1, sending toneB).
func srtpAndPlainPhones(t *testing.T, host, toneA, toneB int) (p *testpbx.PBX, tlsAddr string, a, b *baresip) {
	t.Helper()
	requireBaresip(t)
	p, tlsAddr, ca, _ := srtpPBX(t)
	a = startSRTPBaresip(t, host, toneA, ca)
	b = startBaresip(t, host+1, toneB)
	if ev := a.registerTLS(p, "1001", tlsAddr, "srtp-mand"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip 1001 over TLS: %s %s", ev.Type, ev.Param)
	}
	if ev := b.register(p, "1002"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip 1002: %s %s", ev.Type, ev.Param)
	}
	return p, tlsAddr, a, b
}

// assertHears checks that the phone heard the tone want, and not own
// (its own tone) nor other.
func assertHears(t *testing.T, who string, ph *baresip, want, own float64, others ...float64) {
	t.Helper()
	samples, rate := ph.heard()
	if len(samples) < rate {
		t.Errorf("%s: %.1f s of audio, want >= 1 s", who, float64(len(samples))/float64(rate))
	}
	got := mix.Power(samples, want)
	t.Logf("%s: %d samples, power at %v Hz %.3f, own %v Hz %.4f", who, len(samples), want, got, own, mix.Power(samples, own))
	if got < 0.5 {
		t.Errorf("%s: power at %v Hz = %.3f, want >= 0.5 (the other end's tone)", who, want, got)
	}
	for _, f := range append([]float64{own}, others...) {
		if other := mix.Power(samples, f); other*20 > got {
			t.Errorf("%s: power at %v Hz = %.4f, not well below the tone's %.3f", who, f, other, got)
		}
	}
}

// A phone registered over SIP-TLS with SRTP mandatory (baresip,
// mediaenc=srtp-mand) calls a plain RTP phone on UDP through the PBX: the
// relay decrypts the SRTP leg and re-encrypts towards it, so each hears the
// other's tone. The SRTP phone's SDP, both ways, is RTP/SAVP with a=crypto,
// and what it sends is really SRTP: the relay keys its leg with the phone's
// SDES key and drops whatever fails authentication, and none was dropped
// while the plain phone heard it.
func TestBaresipSRTPOverTLSTalksToAPlainPhone(t *testing.T) {
	const toneA, toneB = 440, 1000
	p, tlsAddr, a, b := srtpAndPlainPhones(t, 31, toneA, toneB)
	captures := captureSRTPAndRTP(t, p)
	a.command("dial", fmt.Sprintf("sip:1002@%s;transport=tls", tlsAddr))
	a.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	b.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	talk := 3 * time.Second
	time.Sleep(talk) // the conversation itself
	a.command("hangup", "")
	a.await(10*time.Second, "CALL_CLOSED")
	b.await(10*time.Second, "CALL_CLOSED")

	captures.check(t, 100)
	assertHears(t, "1002 (plain) hears 1001 (SRTP)", b, toneA, toneB)
	assertHears(t, "1001 (SRTP) hears 1002 (plain)", a, toneB, toneA)

	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" || c.A.PacketsIn < 100 || c.B.PacketsIn < 100 || c.A.PacketsOut < 100 || c.B.PacketsOut < 100 {
		t.Errorf("CDR %s, legs A=%+v B=%+v; want answered, >= 100 packets each way", c.Disposition, c.A, c.B)
	}
	if got := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "srtp"}); got != 0 {
		t.Errorf("%v packets failed SRTP authentication in a call between honest phones", got)
	}
	// The SRTP phone's own SIP trace: its offer and the PBX's answer are
	// RTP/SAVP with a key; the plain phone saw RTP/AVP and no key.
	logA, _ := os.ReadFile(filepath.Join(a.dir, "baresip.log"))
	logB, _ := os.ReadFile(filepath.Join(b.dir, "baresip.log"))
	if n := strings.Count(string(logA), "RTP/SAVP"); n < 2 || strings.Count(string(logA), "a=crypto:") < 2 {
		t.Errorf("1001's SIP trace has %d RTP/SAVP m= lines and %d a=crypto lines, want its offer's and the answer's", n, strings.Count(string(logA), "a=crypto:"))
	}
	if strings.Contains(string(logB), "RTP/SAVP") || strings.Contains(string(logB), "a=crypto") {
		t.Error("the plain phone was offered SRTP or saw a key")
	}
}

// srtpCaptures count, by direction, the G.711 packets to and from the
// PBX's relay that are SRTP-sized and RTP-sized.
type srtpCaptures map[string]*sipp.Capture

// captureSRTPAndRTP starts the captures. On the wire: a 20 ms G.711
// packet is 172 bytes of RTP, a UDP length of 180;
// AES_CM_128_HMAC_SHA1_80 adds its 10-byte tag, 190. The relay's host is
// the PBX's own, so these count its calls only.
func captureSRTPAndRTP(t *testing.T, p *testpbx.PBX) srtpCaptures {
	t.Helper()
	relayHost, _, _ := net.SplitHostPort(p.SIPAddr())
	captures := srtpCaptures{}
	for name, filter := range map[string]string{
		"srtp to relay":   "udp and dst host " + relayHost + " and udp[4:2] = 190",
		"srtp from relay": "udp and src host " + relayHost + " and udp[4:2] = 190",
		"rtp to relay":    "udp and dst host " + relayHost + " and udp[4:2] = 180",
		"rtp from relay":  "udp and src host " + relayHost + " and udp[4:2] = 180",
	} {
		c, err := sipp.CaptureUDP(t.Context(), filter)
		if err != nil {
			sipp.SkipUnlessCI(t, err)
		}
		captures[name] = c
	}
	return captures
}

// check stops the captures and wants at least min packets of each.
func (cs srtpCaptures) check(t *testing.T, min int) {
	t.Helper()
	for name, c := range cs {
		n, err := c.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if t.Logf("%s: %d packets", name, n); n < min {
			t.Errorf("%s: %d packets of its size, want >= %d: the SRTP leg must carry the tag, the plain one not", name, n, min)
		}
	}
}
