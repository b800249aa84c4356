package system_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// One account places more calls than its cap on a PBX whose relay pool
// holds eight calls: without a cap it took the whole pool and the next
// caller of any account got 503. The account's calls past the cap are
// refused 486 Busy Here (docs/security.md), counted by reason, and
// another extension's call still connects.
func TestAttackCallLimitOneAccountExhaustsTheRelayPool(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	const limit, attempts = 3, 8
	p := testpbx.Start(t, func(c *cfgT) {
		c.RTP.PortMin, c.RTP.PortMax = 30000, 30031 // 16 RTP+RTCP pairs: 8 calls
		c.Calls.MaxPerExtension = limit
	})
	p.Callee(t, "1002", "127.0.210.2", "uas_answer.xml", false, nil)
	attacker, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.210.1",
		User: "1001", Password: p.Secrets["1001"], Service: "1002", Calls: attempts, Rate: 50, Limit: attempts,
		Vars: map[string]string{"talk_ms": "20000"}, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { attacker.Stop() })

	// Every attempt has its final answer: answered or refused.
	finals := func() float64 {
		return p.Metric(t, "yimen_sip_invites_total", nil) - p.Metric(t, "yimen_sip_invites_total", map[string]string{"code": "challenge"})
	}
	for deadline := time.Now().Add(15 * time.Second); finals() < attempts; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%v of the attacker's %d INVITEs answered after 15 s", finals(), attempts)
		}
	}
	if n := p.Metric(t, "yimen_calls_active", nil); n != limit {
		t.Errorf("the attacking account holds %v calls, want its cap %d", n, limit)
	}
	if n := p.Metric(t, "yimen_sip_invites_total", map[string]string{"code": "486"}); n != attempts-limit {
		t.Errorf("%v INVITEs answered 486, want the %d past the cap", n, attempts-limit)
	}
	// One more, from a strict caller: refused with the documented code.
	if err := p.Call(t, "1001", "127.0.210.1", expectScenario(t, 486, ""), "1002", nil).Check(1); err != nil {
		t.Errorf("a call past the cap: %v", err)
	}
	if n := p.Metric(t, "yimen_call_refusals_total", map[string]string{"reason": "extension"}); n != attempts-limit+1 {
		t.Errorf("yimen_call_refusals_total{reason=extension} = %v, want %d", n, attempts-limit+1)
	}

	// Another extension's call connects and talks while the attack holds.
	if err := p.Call(t, "1003", "127.0.210.3", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "2000"}).Check(1); err != nil {
		t.Fatalf("a legitimate call during the attack: %v", err)
	}
}
