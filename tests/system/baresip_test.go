package system_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/pbx/mix"
	"github.com/yimen/yimen/tests/testpbx"
)

// The baresip tests do not run in parallel with each other: baresip binds
// its RTP ports on the wildcard address, from a random range, so two at
// once could meet; they take about 4 s together, before the parallel tests.

// Two baresip softphones register with the default single MD5 challenge,
// call each other through the B2BUA and relay, and each hears the other's
// tone — not its own, not silence.
func TestBaresipRegistersAndTalksBothWays(t *testing.T) {
	requireBaresip(t)
	p := testpbx.Start(t)
	const toneA, toneB = 440, 1000
	a := startBaresip(t, 1, toneA)
	b := startBaresip(t, 2, toneB)
	for _, ph := range []struct {
		phone *baresip
		ext   string
	}{{a, "1001"}, {b, "1002"}} {
		if ev := ph.phone.register(p, ph.ext); ev.Type != "REGISTER_OK" {
			t.Fatalf("baresip %s: %s %s", ph.ext, ev.Type, ev.Param)
		}
	}
	var regs []struct{ Extension, Contact string }
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	contacts := map[string]string{}
	for _, r := range regs {
		contacts[r.Extension] = r.Contact
	}
	if len(regs) != 2 || !strings.Contains(contacts["1001"], "@127.0.90.1:") || !strings.Contains(contacts["1002"], "@127.0.90.2:") {
		t.Fatalf("registrations = %+v, want 1001 at 127.0.90.1 and 1002 at 127.0.90.2", regs)
	}

	a.dial(p, "1002")
	// Established and media arriving, at both ends (auto-answer at 1002).
	a.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	b.awaitAll(20*time.Second, "CALL_ESTABLISHED", "CALL_RTPESTAB")
	talk := 3 * time.Second
	time.Sleep(talk) // the conversation itself, not a wait for something to happen
	a.command("hangup", "")
	a.await(10*time.Second, "CALL_CLOSED")
	b.await(10*time.Second, "CALL_CLOSED")

	for _, end := range []struct {
		phone       *baresip
		want, own   float64
		description string
	}{{a, toneB, toneA, "1001 hears 1002"}, {b, toneA, toneB, "1002 hears 1001"}} {
		samples, rate := end.phone.heard()
		if rate != 8000 {
			t.Fatalf("%s: decoded at %d Hz, want 8000 (PCMU)", end.description, rate)
		}
		// A loaded machine starves the phones' audio threads, so the
		// bound is loose: what matters is that the tone came through.
		if len(samples) < 3*rate/2 {
			t.Errorf("%s: %.1f s of audio, want >= 1.5 s of a %v call", end.description, float64(len(samples))/float64(rate), talk)
		}
		got, echo := mix.Power(samples, end.want), mix.Power(samples, end.own)
		t.Logf("%s: %d samples, power at %v Hz %.3f, own %v Hz %.4f, 697 Hz %.4f, 1500 Hz %.4f",
			end.description, len(samples), end.want, got, end.own, echo, mix.Power(samples, 697), mix.Power(samples, 1500))
		if got < 0.5 {
			t.Errorf("%s: power at %v Hz = %.3f, want >= 0.5 (the other end's tone)", end.description, end.want, got)
		}
		for _, f := range []float64{end.own, 697, 1500} {
			if other := mix.Power(samples, f); other*20 > got {
				t.Errorf("%s: power at %v Hz = %.4f, not well below the tone's %.3f", end.description, f, other, got)
			}
		}
	}

	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" || c.Caller != "1001" || c.Callee != "1002" || c.HangupSide != "caller" || c.SIPCode != 200 {
		t.Errorf("CDR = %+v", c)
	}
	if c.Talk < talk {
		t.Errorf("CDR talk = %v, want >= %v", c.Talk, talk)
	}
	// 20 ms packets: a 3 s call is 150 each way; 100 leaves room for load.
	if c.A.PacketsIn < 100 || c.A.PacketsOut < 100 || c.B.PacketsIn < 100 || c.B.PacketsOut < 100 {
		t.Errorf("CDR legs A=%+v B=%+v, want >= 100 packets each way on each leg", c.A, c.B)
	}
	if c.DroppedForeign != 0 {
		t.Errorf("CDR dropped_foreign = %d, want 0", c.DroppedForeign)
	}
	if got := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "foreign_source"}); got != 0 {
		t.Errorf("relay dropped %v RTP packets as from a foreign source, want 0", got)
	}
}

// Why the registrar sends one digest challenge by default: baresip 1.0
// (libre) gives up on a 401 with an algorithm it does not know, even when a
// second WWW-Authenticate offers MD5 — in either order. It never answers, so
// the registrar sees challenges and nothing else.
func TestBaresipCannotRegisterAgainstADoubleChallenge(t *testing.T) {
	requireBaresip(t)
	requireBaresip10(t)
	for i, algs := range [][]string{{"SHA-256", "MD5"}, {"MD5", "SHA-256"}} {
		t.Run(strings.Join(algs, " then "), func(t *testing.T) {
			p := testpbx.Start(t, func(c *cfgT) {
				c.SIP.DigestDouble = true
				c.SIP.DigestAlgs = algs
			})
			ph := startBaresip(t, 11+i, 440)
			ev := ph.register(p, "1001")
			if ev.Type != "REGISTER_FAIL" || !strings.Contains(ev.Param, "not implemented") {
				t.Errorf("baresip against %v: %s %q, want REGISTER_FAIL \"Function not implemented\"", algs, ev.Type, ev.Param)
			}
			assertNeverAnswered(t, p)
		})
	}
}

// baresip 1.0 has no SHA-256 digest at all: an extension listed in a
// tenant's sha256_extensions cannot be a baresip 1.0 phone, while the
// tenant's MD5 extensions on the same PBX register as usual.
func TestBaresipCannotAnswerASHA256Challenge(t *testing.T) {
	requireBaresip(t)
	requireBaresip10(t)
	p := testpbx.Start(t, func(c *cfgT) { c.Tenants[0].SHA256Extensions = []string{"1001"} })
	sha := startBaresip(t, 21, 440)
	if ev := sha.register(p, "1001"); ev.Type != "REGISTER_FAIL" || !strings.Contains(ev.Param, "not implemented") {
		t.Errorf("baresip as SHA-256 extension 1001: %s %q, want REGISTER_FAIL \"Function not implemented\"", ev.Type, ev.Param)
	}
	assertNeverAnswered(t, p)
	md5 := startBaresip(t, 22, 440)
	if ev := md5.register(p, "1002"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip as MD5 extension 1002: %s %q", ev.Type, ev.Param)
	}
	var regs []struct{ Extension string }
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 1 || regs[0].Extension != "1002" {
		t.Errorf("registrations = %+v, want 1002 only", regs)
	}
}

// requireBaresip10 skips tests that document baresip 1.0's limits when
// another version is installed: they say what 1.0 does, not what baresip must do.
func requireBaresip10(t *testing.T) {
	t.Helper()
	if v := baresipVersion(t); !strings.HasPrefix(v, "1.0.") {
		t.Skipf("baresip %s installed; this documents 1.0's digest support", v)
	}
}

// assertNeverAnswered checks the registrar's side of a phone that gave up on
// its challenge: challenged, never answered, nothing bound.
func assertNeverAnswered(t *testing.T, p *testpbx.PBX) {
	t.Helper()
	challenged := p.Metric(t, "yimen_sip_register_total", map[string]string{"result": "challenge"})
	answered := p.Metric(t, "yimen_sip_register_total", map[string]string{"result": "ok"}) +
		p.Metric(t, "yimen_sip_register_total", map[string]string{"result": "auth_failed"})
	if challenged < 1 || answered != 0 {
		t.Errorf("registrar: %v challenges, %v answers (ok or failed); want >= 1 and 0", challenged, answered)
	}
	var regs []struct{ Extension string }
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 0 {
		t.Errorf("registrations = %+v, want none", regs)
	}
}
