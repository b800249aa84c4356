package system_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
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

// wantTones checks that samples hold each tone of want (a mix: each at
// least min of the energy) and own well below them.
func wantTones(t *testing.T, who string, samples []int16, rate int, min float64, own float64, want ...float64) {
	t.Helper()
	if len(samples) < rate {
		t.Errorf("%s: %.1f s of audio, want >= 1 s", who, float64(len(samples))/float64(rate))
	}
	echo := mix.Power(samples, own)
	for _, f := range want {
		got := mix.Power(samples, f)
		t.Logf("%s: power at %v Hz %.3f (own %v Hz %.4f)", who, f, got, own, echo)
		if got < min || echo*10 > got {
			t.Errorf("%s: power at %v Hz = %.3f, want >= %.2f and well above its own tone's %.4f", who, f, got, min, echo)
		}
	}
}

// A customer (SIPp with its audio at a Go endpoint, 1004) talks to an
// agent (1002), who consults an SRTP phone (1003, baresip over TLS with
// srtp-mand: the consultation INVITE the PBX places carries SDES keys)
// while the customer waits on hold, then completes the transfer: the
// customer and the SRTP phone hear each other through the splice, the
// SRTP phone's leg decrypted and re-encrypted by the relay on the way.
func TestAttendedTransferToAnSRTPPhone(t *testing.T) {
	requireBaresip(t)
	p, tlsAddr, ca, _ := srtpPBX(t, "1003")
	const toneCust, toneAgent, toneC = 500, 800, 700
	cust, agent := newEndpoint(t, "127.0.101.4"), newEndpoint(t, "127.0.101.2")
	phone(t, p, "1002", "127.0.101.2", agent)
	c := srtpPhone(t, p, tlsAddr, ca, 44, toneC, "1003")
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- holdCaller(t, p, "1004", "127.0.101.4", mediaScenario(t, "uac_media_hold.tmpl", "127.0.101.4", cust.port()), "1002", map[string]string{"talk_ms": "9000"})
	}()
	call := waitCall(t, p, func(x b2bua.CallInfo) bool { return x.State == "answered" && x.Callee == "1002" })
	defer cust.send(call.CallerRTP, toneCust)()
	defer agent.send(call.CalleeRTP, toneAgent)()
	mgr := p.Server.CallManager()
	if err := mgr.Consult(t.Context(), "demo", call.ID, "1002", "1003"); err != nil {
		t.Fatalf("consult: %v", err)
	}
	c.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	time.Sleep(time.Second) // the agent and the SRTP phone talk
	if a := agent.heard(toneC, toneCust); a[0] < 0.05 || a[1] > 0.05 {
		t.Errorf("consulting: the agent hears the SRTP phone at %.3f and the held customer at %.3f", a[0], a[1])
	}
	if err := mgr.CompleteConsult(t.Context(), "demo", call.ID, "1002", "1003"); err != nil {
		t.Fatalf("complete: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	cust.reset()
	time.Sleep(2 * time.Second)
	if h := cust.heard(toneC, toneAgent); h[0] < 0.05 || h[1] > 0.05 {
		t.Errorf("transferred: the customer hears the SRTP phone at %.3f and the agent at %.3f", h[0], h[1])
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	c.await(10*time.Second, "CALL_CLOSED")
	samples, rate := heardLast(t, c, 2*time.Second)
	wantTone(t, "1003 (SRTP) hears the customer", samples, rate, toneCust, toneC, toneAgent)
	noSRTPFailures(t, p)
}

// A plain phone (1002) on a call with an SRTP caller (1001) adds another
// SRTP phone (1004) as a third party: the mix each hears is encrypted for
// its own leg, and each SRTP phone hears both others' tones.
func TestSRTPPhonesInAConference(t *testing.T) {
	const toneA, toneB, toneD = mixToneA, mixToneB, mixToneD
	p, a, b, d := thirdSRTPParty(t, 47, toneA, toneB, toneD, func(p *testpbx.PBX) error {
		_, err := p.Server.CallManager().Conference(t.Context(), "demo", callOf(t, p), "1002", "1004")
		return err
	})
	time.Sleep(3 * time.Second) // all three talk
	a.command("hangup", "")
	a.await(10*time.Second, "CALL_CLOSED")
	b.await(10*time.Second, "CALL_CLOSED")
	d.await(10*time.Second, "CALL_CLOSED")

	samples, rate := heardLast(t, a, 2*time.Second)
	wantTones(t, "1001 (SRTP) in the conference", samples, rate, 0.2, toneA, toneB, toneD)
	samples, rate = heardLast(t, d, 2*time.Second)
	wantTones(t, "1004 (SRTP, joined) in the conference", samples, rate, 0.2, toneD, toneA, toneB)
	noSRTPFailures(t, p)
}

// An SRTP supervisor (1004) listens in on a call between an SRTP caller
// (1001) and a plain agent (1002): the tap's mix reaches the supervisor
// encrypted for its leg, with both parties' tones, and neither party hears
// the supervisor.
func TestSRTPSupervisorListensToAnSRTPCall(t *testing.T) {
	const toneA, toneB, toneD = mixToneA, mixToneB, mixToneD
	p, a, b, d := thirdSRTPParty(t, 50, toneA, toneB, toneD, func(p *testpbx.PBX) error {
		_, err := p.Server.CallManager().Monitor(t.Context(), "demo", "1004", "1002", b2bua.Listen)
		return err
	})
	time.Sleep(3 * time.Second)
	d.command("hangup", "")
	d.await(10*time.Second, "CALL_CLOSED")
	a.command("hangup", "")
	a.await(10*time.Second, "CALL_CLOSED")
	b.await(10*time.Second, "CALL_CLOSED")

	samples, rate := heardLast(t, d, 2*time.Second)
	wantTones(t, "1004 (SRTP supervisor) listening", samples, rate, 0.2, toneD, toneA, toneB)
	samples, rate = heardLast(t, a, 2*time.Second)
	wantTone(t, "1001 (SRTP) with a supervisor listening", samples, rate, toneB, toneA, toneD)
	samples, rate = heardLast(t, b, 2*time.Second)
	wantTone(t, "1002 with a supervisor listening", samples, rate, toneA, toneB, toneD)
	noSRTPFailures(t, p)
}

// mixToneA, B and D are the tones of the three phones whose audio is mixed: whole
// cycles in a 20 ms frame (multiples of 50 Hz), so a frame the mixer drops
// or repeats when a phone's packets come in bursts (a loaded machine) does
// not break the tone's phase and blur it away from its frequency, as it did
// for 440 Hz.
const mixToneA, mixToneB, mixToneD = 600, 1000, 700

// thirdSRTPParty sets up a call from an SRTP phone (1001, baresip over
// TLS) to a plain one (1002), then brings in a third SRTP phone (1004)
// with join, and waits until it talks. The phones are on 127.0.90.host and
// the two above it.
func thirdSRTPParty(t *testing.T, host, toneA, toneB, toneD int, join func(*testpbx.PBX) error) (p *testpbx.PBX, a, b, d *baresip) {
	t.Helper()
	requireBaresip(t)
	p, tlsAddr, ca, _ := srtpPBX(t, "1004")
	a = srtpPhone(t, p, tlsAddr, ca, host, toneA, "1001")
	b = plainPhone(t, p, host+1, toneB, "1002")
	d = srtpPhone(t, p, tlsAddr, ca, host+2, toneD, "1004")
	a.command("dial", "sip:1002@"+tlsAddr+";transport=tls")
	a.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	b.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	if err := join(p); err != nil {
		t.Fatalf("bringing in 1004: %v", err)
	}
	d.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	return p, a, b, d
}
