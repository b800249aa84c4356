package system_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A phone registered over SIP-TLS with SRTP required (baresip,
// mediaenc=srtp-mand) is called by a plain phone on UDP through the PBX.
// The phone listens on no TLS port the PBX could reach: the INVITE, the
// ACK and the BYE all go over the connection it registered on (its flow).
// Two calls: the TLS phone hangs up the first, the plain phone the second,
// so a BYE goes each way over the flow and the flow outlives a call. Each
// call is SRTP on the TLS leg and plain RTP on the other, both ways, and
// each phone hears the other's tone. Once the TLS phone is gone without
// unregistering (killed: its connection closes), a call to it is refused
// 480 at once, with a log line, instead of dialling the phone's port.
func TestBaresipSRTPOverTLSIsCalledByAPlainPhone(t *testing.T) {
	const toneA, toneB = 440, 1000
	p, _, a, b := srtpAndPlainPhones(t, 33, toneA, toneB)

	for i, hangsUp := range []*baresip{a, b} {
		other := map[*baresip]*baresip{a: b, b: a}[hangsUp]
		captures := captureSRTPAndRTP(t, p)
		b.dial(p, "1001")
		a.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
		b.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
		time.Sleep(3 * time.Second) // the conversation itself
		hangsUp.command("hangup", "")
		hangsUp.await(10*time.Second, "CALL_CLOSED")
		other.await(10*time.Second, "CALL_CLOSED")
		captures.check(t, 100)

		c := lastCDR(t, p, i+1)
		side := map[*baresip]string{a: "callee", b: "caller"}[hangsUp]
		if c.Disposition != "answered" || c.Callee != "1001" || c.HangupSide != side {
			t.Errorf("call %d: CDR %s, callee %s, hung up by %s; want answered, 1001, %s", i+1, c.Disposition, c.Callee, c.HangupSide, side)
		}
		if c.A.PacketsIn < 100 || c.B.PacketsIn < 100 || c.A.PacketsOut < 100 || c.B.PacketsOut < 100 {
			t.Errorf("call %d: CDR legs A=%+v B=%+v, want >= 100 packets each way", i+1, c.A, c.B)
		}
		if i == 0 {
			// heard() reads one call's recording: drop the first call's.
			for _, ph := range []*baresip{a, b} {
				files, _ := filepath.Glob(filepath.Join(ph.dir, "snd", "dump-*.wav"))
				for _, f := range files {
					_ = os.Remove(f)
				}
			}
		}
	}
	if got := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "srtp"}); got != 0 {
		t.Errorf("%v packets failed SRTP authentication in calls between honest phones", got)
	}
	logA, _ := os.ReadFile(filepath.Join(a.dir, "baresip.log"))
	if n := strings.Count(string(logA), "\nACK sip:"); n < 2 {
		t.Errorf("the TLS phone's SIP trace has %d ACKs, want one per call", n)
	}
	if n := strings.Count(string(logA), "\nBYE sip:"); n < 1 {
		t.Error("the TLS phone's SIP trace has no BYE from the PBX (the second call's)")
	}
	assertHears(t, "1002 (plain) hears 1001 (SRTP)", b, toneA, toneB)

	// The TLS phone dies without unregistering: its flow closes with it.
	_ = a.cmd.Process.Kill()
	<-a.exited
	assertHears(t, "1001 (SRTP) hears 1002 (plain)", a, toneB, toneA)
	b2 := startBaresip(t, 35, toneB)
	if ev := b2.register(p, "1002"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip 1002 again: %s %s", ev.Type, ev.Param)
	}
	start := time.Now()
	b2.dial(p, "1001")
	ev := b2.await(10*time.Second, "CALL_CLOSED")
	if !strings.Contains(ev.Param, "480") {
		t.Errorf("call to the phone whose flow closed: closed with %q, want 480", ev.Param)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the refusal took %v: the PBX must not wait on a connection to the phone", took)
	}
	log, _ := os.ReadFile(filepath.Join(p.Dir, "pbx.log"))
	if !strings.Contains(string(log), "its registration's connection is closed") {
		t.Error("no log line says why 1001 was not reached")
	}
}
