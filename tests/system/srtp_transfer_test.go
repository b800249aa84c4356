package system_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/yimen/yimen/pbx/mix"
	"github.com/yimen/yimen/tests/testpbx"
)

// SRTP legs through call control: the relay keys each leg on its own, so
// a party that stays keeps its keys when the other party changes, and a
// party that comes by transfer or joins a conference gets fresh ones. In
// each test the SRTP phones are baresips over SIP-TLS with srtp-mand on
// extensions that require SRTP, so none of them can fall back to plain
// RTP, and the relay drops nothing for failing SRTP authentication.

// srtpPhone registers a baresip over SIP-TLS with SRTP mandatory as ext.
func srtpPhone(t *testing.T, p *testpbx.PBX, tlsAddr, ca string, host, tone int, ext string) *baresip {
	t.Helper()
	ph := startSRTPBaresip(t, host, tone, ca)
	if ev := ph.registerTLS(p, ext, tlsAddr, "srtp-mand"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip %s over TLS: %s %s", ext, ev.Type, ev.Param)
	}
	return ph
}

// plainPhone registers a baresip on UDP as ext.
func plainPhone(t *testing.T, p *testpbx.PBX, host, tone int, ext string) *baresip {
	t.Helper()
	ph := startBaresip(t, host, tone)
	if ev := ph.register(p, ext); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip %s: %s %s", ext, ev.Type, ev.Param)
	}
	return ph
}

// callOf is the one call in progress at the PBX.
func callOf(t *testing.T, p *testpbx.PBX) string {
	t.Helper()
	calls := p.Server.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls in progress, want 1", len(calls))
	}
	return calls[0].ID
}

// heardLast stops the phone and returns the last d of what it decoded in
// its newest call, at rate Hz.
func heardLast(t *testing.T, ph *baresip, d time.Duration) ([]int16, int) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(ph.dir, "snd", "dump-*-dec.wav"))
	sort.Strings(files) // named by the time they began
	for _, f := range files[:max(len(files)-1, 0)] {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	samples, rate := ph.heard()
	if n := int(d.Seconds() * float64(rate)); len(samples) > n {
		samples = samples[len(samples)-n:]
	}
	return samples, rate
}

// wantTone checks that samples hold the tone want well above each of others.
func wantTone(t *testing.T, who string, samples []int16, rate int, want float64, others ...float64) {
	t.Helper()
	got := mix.Power(samples, want)
	t.Logf("%s: %d samples, power at %v Hz %.3f", who, len(samples), want, got)
	if len(samples) < rate {
		t.Errorf("%s: %.1f s of audio, want >= 1 s", who, float64(len(samples))/float64(rate))
	}
	if got < 0.3 {
		t.Errorf("%s: power at %v Hz = %.3f, want >= 0.3", who, want, got)
	}
	for _, f := range others {
		if other := mix.Power(samples, f); other*10 > got {
			t.Errorf("%s: power at %v Hz = %.4f, not well below %v Hz's %.3f", who, f, other, want, got)
		}
	}
}

// noSRTPFailures checks that the relay dropped nothing for SRTP.
func noSRTPFailures(t *testing.T, p *testpbx.PBX) {
	t.Helper()
	if got := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "srtp"}); got != 0 {
		t.Errorf("%v packets failed SRTP authentication between honest phones", got)
	}
}

// An SRTP caller (1001) talks to a plain phone (1002), which blind-
// transfers it to another SRTP phone (1003): the caller's leg keeps its
// keys, 1003's leg is keyed afresh, and the two SRTP phones hear each
// other through the relay; 1002 is hung up.
func TestSRTPCallerIsBlindTransferredToAnSRTPPhone(t *testing.T) {
	requireBaresip(t)
	p, tlsAddr, ca, _ := srtpPBX(t, "1003")
	const toneA, toneB, toneC = 440, 1000, 700
	a := srtpPhone(t, p, tlsAddr, ca, 41, toneA, "1001")
	b := plainPhone(t, p, 42, toneB, "1002")
	c := srtpPhone(t, p, tlsAddr, ca, 43, toneC, "1003")

	a.command("dial", "sip:1002@"+tlsAddr+";transport=tls")
	a.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	b.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	time.Sleep(time.Second)
	if err := p.Server.CallManager().BlindTransfer(t.Context(), "demo", callOf(t, p), "1002", "1003"); err != nil {
		t.Fatalf("blind transfer: %v", err)
	}
	b.await(10*time.Second, "CALL_CLOSED")
	c.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	time.Sleep(3 * time.Second) // the conversation after the transfer
	a.command("hangup", "")
	a.await(10*time.Second, "CALL_CLOSED")
	c.await(10*time.Second, "CALL_CLOSED")

	samples, rate := heardLast(t, a, 2*time.Second)
	wantTone(t, "1001 (SRTP, stayed) hears 1003 (SRTP, transferred to)", samples, rate, toneC, toneA, toneB)
	samples, rate = heardLast(t, c, 2*time.Second)
	wantTone(t, "1003 hears 1001", samples, rate, toneA, toneC, toneB)
	noSRTPFailures(t, p)
}
