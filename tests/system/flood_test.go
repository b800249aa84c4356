package system_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// A password-guessing flood from 127.0.0.2 is banned after the configured
// number of failures while a legitimate phone on 127.0.0.3 keeps working, and
// a scanner gets no answer at all.
func TestFloodBansGuesserWhileLegitimateUAWorks(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) {
		c.Guard.AuthFailuresPerIP = 5
		c.Guard.AuthFailuresPerAccount = 1000
	})
	callee := p.Callee(t, "1002", "127.0.0.3", "uas_answer.xml", true, nil)
	_ = callee

	flood := make(chan *sipp.Result, 1)
	go func() {
		flood <- testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register_badpass.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.0.2",
			User: "1001", Password: "guess", Service: "1001", Calls: 400, Rate: 200, Limit: 50, Timeout: 15 * time.Second})
	}()

	// Meanwhile, once the flood is under way (its guesses are being
	// refused), the legitimate UA registers and calls.
	for deadline := time.Now().Add(10 * time.Second); p.Metric(t, "yimen_sip_auth_failures_total", nil) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the flood never reached the registrar")
		}
	}
	p.Register(t, "1003", "127.0.0.3", 5990)
	res := p.Call(t, "1003", "127.0.0.3", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "7200"})
	if err := res.Check(1); err != nil {
		t.Errorf("legitimate call during the flood: %v", err)
	}
	fr := <-flood
	// Only the first few guesses were answered with 401; the rest went unanswered.
	if fr.Successful > 10 {
		t.Errorf("guesser got %d answered attempts; the ban should stop it after 5", fr.Successful)
	}
	code, body := p.Admin(t, "GET", "/api/v1/bans", nil)
	if code != 200 || !strings.Contains(string(body), `"127.0.0.2"`) || strings.Contains(string(body), `"127.0.0.3"`) {
		t.Fatalf("bans = %d %s", code, body)
	}
	if got := p.Metric(t, "yimen_guard_dropped_total", map[string]string{"reason": "banned"}); got < 100 {
		t.Errorf("dropped from banned source = %v, want most of the flood", got)
	}

	// A scanner's OPTIONS gets no reply (the scenario succeeds only on silence).
	sr := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("options_scanner.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.0.4", Service: "100"})
	if err := sr.Check(1); err != nil {
		t.Errorf("scanner: %v", err)
	}
	if got := p.Metric(t, "yimen_guard_dropped_total", map[string]string{"reason": "scanner"}); got < 1 {
		t.Errorf("scanner drops = %v", got)
	}

	// The ban survives a restart and can be lifted through the admin API.
	p.Restart(t)
	_, body = p.Admin(t, "GET", "/api/v1/bans", nil)
	var bans []struct{ IP string }
	if err := json.Unmarshal(body, &bans); err != nil || len(bans) != 1 || bans[0].IP != "127.0.0.2" {
		t.Fatalf("bans after restart = %s", body)
	}
	if code, body := p.Admin(t, "DELETE", "/api/v1/bans/127.0.0.2", nil); code != 200 && code != 204 {
		t.Fatalf("lift: %d %s", code, body)
	}
	p.Register(t, "1001", "127.0.0.2", 5991) // the address works again with the right password

	// The automatic ban is in the audit chain, as the process's own action.
	c := testpbx.NewClient(t, p, "127.0.0.5")
	rows := c.Audit(c.Login("demo", "auditor", p.Admins["demo/auditor"]), "")
	if !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool {
		return r.Action == "guard.ban" && r.Actor == "system" && r.Target == "ip/127.0.0.2" && strings.HasPrefix(r.Detail, "auth failures from ip")
	}) {
		t.Errorf("no audit row for the automatic ban of 127.0.0.2 in %+v", rows)
	}
}
