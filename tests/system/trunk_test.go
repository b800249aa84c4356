package system_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/trunk"
	"github.com/yimen/yimen/tests/testpbx"
)

// The trunk tests' SIPp peers live in 127.0.113.0/24: carriers at .1-.49
// (a trunk's addresses are .8/29 for the inbound carrier), extensions
// and strangers from .50 up.

// carrier starts a SIPp carrier on ip:port that keeps every message it
// sees and receives (Proc.Stop returns them).
func carrier(t *testing.T, ip string, port int, scenario string, vars map[string]string) *sipp.Proc {
	t.Helper()
	sipp.Require(t)
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: scenario, LocalIP: ip, LocalPort: port, Vars: vars, TraceMsg: true,
		Dir: t.TempDir(), Timeout: 120 * time.Second})
	if err != nil {
		t.Fatalf("carrier on %s:%d: %v", ip, port, err)
	}
	t.Cleanup(func() { proc.Stop() })
	return proc
}

// carrierUAS renders carrier_uas.tmpl answering INVITEs with code.
func carrierUAS(t testing.TB, code int) string { return carrierUASTimer(t, code, 0, "") }

// carrierUASTimer is carrierUAS granting session timers of secs seconds
// (0: none), answering refreshes 200 or, refresh "481", 481.
func carrierUASTimer(t testing.TB, code, secs int, refresh string) string {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), "carrier_uas.tmpl", struct {
		Code, SessionExpires int
		Refresh              string
	}{code, secs, refresh})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// waitTrunk polls the trunk's live state until it is want.
func waitTrunk(t *testing.T, p *testpbx.PBX, name string, want trunk.State, within time.Duration) trunk.Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, s := range p.Server.Trunks().Statuses("demo") {
			if s.Name == name && s.State == want {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trunk %s not %s within %v: %+v", name, want, within, p.Server.Trunks().Statuses("demo"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// withTrunks gives the demo tenant tt and a carrier-facing listener.
func withTrunks(tt config.TenantTrunks) testpbx.Option {
	return func(c *config.Config) {
		c.SIP.TrunkUDP = net.JoinHostPort(testpbx.Host(c), "0")
		c.Tenants[0].TenantTrunks = tt
	}
}

// count counts the messages SIPp logged as sent or received that start
// with line (SIPp's trace puts each message's first line after a blank).
func count(log, line string) int { return strings.Count(log, "\n"+line) }

func TestTrunkRegistersWithDigestRefreshesAndFollowsItsCarrier(t *testing.T) {
	t.Parallel()
	const ip = "127.0.113.1"
	port := testpbx.FreeUDPPort(t, ip)
	vars := map[string]string{"user": "yimen-trunk", "pass": "c4rrier-s3cret", "expires": "4"}
	reg := carrier(t, ip, port, sipp.Scenario("carrier_registrar.xml"), vars)
	p := testpbx.Start(t, withTrunks(config.TenantTrunks{Trunks: []config.Trunk{{
		Name: "unicom", Auth: "register", Proxy: net.JoinHostPort(ip, strconv.Itoa(port)),
		Username: vars["user"], Password: vars["pass"], OptionsInterval: time.Second,
	}}}))
	st := waitTrunk(t, p, "unicom", trunk.StateUp, 10*time.Second)
	if !st.Registered || st.RegExpires.IsZero() {
		t.Fatalf("trunk up but not registered: %+v", st)
	}
	if got := p.Metric(t, "yimen_trunk_up", map[string]string{"tenant": "demo", "trunk": "unicom"}); got != 1 {
		t.Errorf("yimen_trunk_up = %v while up", got)
	}
	time.Sleep(4 * time.Second) // a 4 s registration is refreshed after 3 s
	res, _ := reg.Stop()
	if n := count(res.Messages, "REGISTER sip:"); n < 4 {
		t.Errorf("carrier saw %d REGISTERs, want a challenged one and its answer, refreshed at least once:\n%s", n, res.Messages)
	}
	if !strings.Contains(res.Messages, `Authorization: Digest username="yimen-trunk"`) || strings.Contains(res.Messages, "SIP/2.0 403") {
		t.Errorf("the PBX did not answer the carrier's digest challenge right:\n%s", res.Messages)
	}
	if !strings.Contains(res.Messages, "Contact: <sip:yimen-trunk@"+testpbx.Host(&p.Config)) {
		t.Errorf("the registered Contact is not the carrier-facing listener (%s):\n%s", p.Server.TrunkAddr(), res.Messages)
	}

	// The carrier stops answering: the trunk goes down (gauge, audit), and
	// comes back when the carrier does.
	st = waitTrunk(t, p, "unicom", trunk.StateDown, 8*time.Second)
	t.Logf("down: %s", st.Reason)
	if got := p.Metric(t, "yimen_trunk_up", map[string]string{"tenant": "demo", "trunk": "unicom"}); got != 0 {
		t.Errorf("yimen_trunk_up = %v while down", got)
	}
	carrier(t, ip, port, sipp.Scenario("carrier_registrar.xml"), vars)
	waitTrunk(t, p, "unicom", trunk.StateUp, 20*time.Second)

	c := testpbx.NewClient(t, p, "")
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	for _, action := range []string{"trunk.up", "trunk.down"} {
		if rows := c.Audit(aud, "action="+action); len(rows) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}
	var list trunk.Listing
	p.AdminJSON(t, "/api/v1/trunks?tenant=demo", &list)
	if len(list.Trunks) != 1 || list.Trunks[0].State != trunk.StateUp || !list.Trunks[0].Registered {
		t.Errorf("admin API: %+v", list.Trunks)
	}
}

func TestTrunkInboundDIDReachesExtensionWithCallerNormalised(t *testing.T) {
	t.Parallel()
	const carrierIP, stranger = "127.0.113.10", "127.0.113.60"
	p := testpbx.Start(t, withTrunks(config.TenantTrunks{
		AreaCode: "010",
		Trunks: []config.Trunk{{Name: "telecom", Auth: "ip", Proxy: carrierIP + ":5060", Addresses: []string{"127.0.113.8/29"},
			OptionsInterval: time.Minute}},
		DIDs: []config.DID{{Number: "01058001000", Target: "1001"}},
	}))
	p.Callee(t, "1001", "127.0.113.51", "uas_answer.xml", true, nil)
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.Server.TrunkAddr(), LocalIP: carrierIP,
		Service: "+861058001000", Vars: map[string]string{"from_user": "+8613812345678", "talk_ms": "1000"}})
	if err := res.Check(1); err != nil {
		t.Fatalf("carrier's call to the DID: %v", err)
	}
	cdr := lastCDR(t, p, 1)
	if cdr.Caller != "13812345678" || cdr.Callee != "1001" || cdr.Disposition != "answered" || cdr.RawCaller != "+8613812345678" || cdr.Trunk != "telecom" {
		t.Errorf("CDR caller %q (raw %q) callee %q trunk %q disposition %s; want the caller normalised to 13812345678, raw +8613812345678, callee 1001, trunk telecom, answered",
			cdr.Caller, cdr.RawCaller, cdr.Callee, cdr.Trunk, cdr.Disposition)
	}

	// The same INVITE from an address that is not the carrier's never
	// gets past the guard: no answer at all, no CDR.
	res, err := sipp.Run(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.Server.TrunkAddr(), LocalIP: stranger,
		Service: "+861058001000", Vars: map[string]string{"from_user": "13800000000", "talk_ms": "1000"}, Timeout: 3 * time.Second, Dir: t.TempDir()})
	if err == nil && res.Successful > 0 {
		t.Fatalf("a stranger's call to the carrier listener went through")
	}
	if got := p.Metric(t, "yimen_guard_dropped_total", map[string]string{"reason": "not_carrier"}); got < 1 {
		t.Errorf("guard dropped %v datagrams as not_carrier, want the stranger's INVITE", got)
	}
	if n := len(p.CDRs(t, 5)); n != 1 {
		t.Errorf("%d CDRs after the stranger's attempt, want 1", n)
	}
}

// outboundTrunks: carrier A (national numbers) then carrier B (E.164,
// P-Asserted-Identity) for mobiles, B alone for numbers abroad and for
// emergency calls.
func outboundTrunks(aPort, bPort int) config.TenantTrunks {
	return config.TenantTrunks{
		AreaCode: "010",
		CallerID: "01058001000",
		DIDs:     []config.DID{{Number: "01058001000", Target: "1001"}},
		Trunks: []config.Trunk{
			{Name: "a", Auth: "ip", Proxy: "127.0.113.41:" + strconv.Itoa(aPort), OptionsInterval: time.Second},
			{Name: "b", Auth: "ip", Proxy: "127.0.113.42:" + strconv.Itoa(bPort), OptionsInterval: time.Second,
				NumberFormat: "e164", CallerIDFormat: "e164", PAI: true},
		},
		Routes: []config.OutboundRoute{
			{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"a", "b"}},
			{Name: "abroad", Patterns: []string{"+"}, Trunks: []string{"b"}},
		},
		EmergencyTrunk: "b",
	}
}

func TestTrunkOutboundFailsOverOn503AndRefusesInternational(t *testing.T) {
	t.Parallel()
	aPort, bPort := testpbx.FreeUDPPort(t, "127.0.113.41"), testpbx.FreeUDPPort(t, "127.0.113.42")
	a := carrier(t, "127.0.113.41", aPort, carrierUAS(t, 503), nil)
	b := carrier(t, "127.0.113.42", bPort, carrierUAS(t, 200), nil)
	p := testpbx.Start(t, withTrunks(outboundTrunks(aPort, bPort)))
	waitTrunk(t, p, "a", trunk.StateUp, 10*time.Second)
	waitTrunk(t, p, "b", trunk.StateUp, 10*time.Second)

	res := p.Call(t, "1002", "127.0.113.52", sipp.Scenario("uac_call.xml"), "013812345678", map[string]string{"talk_ms": "1000"})
	if err := res.Check(1); err != nil {
		t.Fatalf("call to a mobile: %v", err)
	}
	if cdr := lastCDR(t, p, 1); cdr.Trunk != "b" || cdr.Disposition != "answered" || cdr.Caller != "1002" {
		t.Errorf("CDR trunk %q disposition %s caller %q; want the call answered through b, placed by 1002", cdr.Trunk, cdr.Disposition, cdr.Caller)
	}
	ra, _ := a.Stop()
	rb, _ := b.Stop()
	if !strings.Contains(ra.Messages, "INVITE sip:13812345678@127.0.113.41") || !strings.Contains(ra.Messages, "SIP/2.0 503") {
		t.Errorf("carrier A did not get the national number and refuse it:\n%s", ra.Messages)
	}
	for _, want := range []string{"INVITE sip:+8613812345678@127.0.113.42", "From: <sip:+861058001000@", "P-Asserted-Identity: <sip:+861058001000@127.0.113.42>"} {
		if !strings.Contains(rb.Messages, want) {
			t.Errorf("carrier B's INVITE lacks %q:\n%s", want, rb.Messages)
		}
	}
	if strings.Contains(rb.Messages, "1002@") {
		t.Errorf("the extension's own number reached the carrier:\n%s", rb.Messages)
	}

	// International from an extension without the class: 403, counted, audited.
	res = p.Call(t, "1002", "127.0.113.52", expectScenario(t, 403, ""), "0014155550100", nil)
	if err := res.Check(1); err != nil {
		t.Fatalf("international call: %v", err)
	}
	if got := p.Metric(t, "yimen_trunk_blocked_total", map[string]string{"reason": "international_not_allowed"}); got != 1 {
		t.Errorf("yimen_trunk_blocked_total{international_not_allowed} = %v", got)
	}
	c := testpbx.NewClient(t, p, "")
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	rows := c.Audit(aud, "action=trunk.blocked")
	if !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool {
		return r.Outcome == "alarm" && r.Target == "extension/1002" && !strings.Contains(r.Detail, "4155550100")
	}) {
		t.Errorf("no masked trunk.blocked alarm for 1002: %+v", rows)
	}
}

func TestTrunkNoFailoverOn486AndADownTrunkIsSkipped(t *testing.T) {
	t.Parallel()
	aPort, bPort := testpbx.FreeUDPPort(t, "127.0.113.43"), testpbx.FreeUDPPort(t, "127.0.113.44")
	tt := outboundTrunks(aPort, bPort)
	tt.Trunks[0].Proxy = "127.0.113.43:" + strconv.Itoa(aPort)
	tt.Trunks[1].Proxy = "127.0.113.44:" + strconv.Itoa(bPort)
	a := carrier(t, "127.0.113.43", aPort, carrierUAS(t, 486), nil)
	b := carrier(t, "127.0.113.44", bPort, carrierUAS(t, 200), nil)
	p := testpbx.Start(t, withTrunks(tt))
	waitTrunk(t, p, "a", trunk.StateUp, 10*time.Second)
	waitTrunk(t, p, "b", trunk.StateUp, 10*time.Second)

	// A busy callee is the callee's answer: no second carrier is tried.
	res := p.Call(t, "1003", "127.0.113.53", expectScenario(t, 486, ""), "13812345678", nil)
	if err := res.Check(1); err != nil {
		t.Fatalf("busy mobile: %v", err)
	}
	// Carrier A goes away: routing skips it while it is down.
	ra, _ := a.Stop()
	if count(ra.Messages, "INVITE sip:") != 1 {
		t.Errorf("carrier A saw %d INVITEs, want 1:\n%s", count(ra.Messages, "INVITE sip:"), ra.Messages)
	}
	waitTrunk(t, p, "a", trunk.StateDown, 8*time.Second)
	res = p.Call(t, "1003", "127.0.113.53", sipp.Scenario("uac_call.xml"), "13812345678", map[string]string{"talk_ms": "500"})
	if err := res.Check(1); err != nil {
		t.Fatalf("call with carrier A down: %v", err)
	}
	// 110 always routes, through the emergency trunk, and is audited.
	res = p.Call(t, "1003", "127.0.113.53", sipp.Scenario("uac_call.xml"), "110", map[string]string{"talk_ms": "500"})
	if err := res.Check(1); err != nil {
		t.Fatalf("emergency call: %v", err)
	}
	rb, _ := b.Stop()
	if n := count(rb.Messages, "INVITE sip:+8613812345678@"); n != 1 {
		t.Errorf("carrier B saw %d INVITEs for the mobile, want only the one after A went down:\n%s", n, rb.Messages)
	}
	if n := count(rb.Messages, "INVITE sip:110@"); n != 1 {
		t.Errorf("carrier B saw %d INVITEs to 110, want 1", n)
	}
}

// On a holiday (the Spring Festival, IVR clock pinned) the DID's holiday
// variant answers: 1003 rings, not the daytime 1001; the call's media
// flows both ways through the relay (packets counted at both ends).
func TestTrunkDIDHolidayVariantAndMediaBothWays(t *testing.T) {
	t.Parallel()
	const carrierIP = "127.0.113.12"
	p := testpbx.Start(t, withTrunks(config.TenantTrunks{
		AreaCode: "010",
		Trunks: []config.Trunk{{Name: "telecom", Auth: "ip", Proxy: carrierIP + ":5060", Addresses: []string{"127.0.113.8/29"},
			OptionsInterval: time.Minute}},
		DIDs: []config.DID{{Number: "01058001000", Target: "1001", Hours: "mon-fri 09:00-18:00", Calendar: "cn",
			AfterHours: "1002", Holiday: "1003"}},
	}), func(c *config.Config) {
		c.IVR.Calendars = testpbx.RepoPath("configs/calendars")
		c.IVR.FixedTime = "2026-02-18T10:00:00+08:00"
	})
	holiday := p.Callee(t, "1003", "127.0.113.56", "uas_answer.xml", true, nil)
	toAgent, err := sipp.CaptureUDP(t.Context(), "udp and dst host 127.0.113.56 and dst port "+strconv.Itoa(holiday.MediaPort())+" and udp[8] & 0xc0 = 0x80")
	if err != nil {
		t.Fatal(err)
	}
	toCarrier, err := sipp.CaptureUDP(t.Context(), "udp and dst host "+carrierIP+" and udp[8] & 0xc0 = 0x80")
	if err != nil {
		t.Fatal(err)
	}
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.Server.TrunkAddr(), LocalIP: carrierIP,
		Service: "01058001000", Vars: map[string]string{"from_user": "58009999", "talk_ms": "8000"}})
	if err := res.Check(1); err != nil {
		t.Fatalf("carrier's call on a holiday: %v", err)
	}
	atAgent, _ := toAgent.Stop()
	atCarrier, _ := toCarrier.Stop()
	t.Logf("RTP packets: %d reached the agent, %d came back to the carrier", atAgent, atCarrier)
	if atAgent < 200 || atCarrier < 200 {
		t.Errorf("RTP through the relay on a trunk call: agent got %d, carrier got %d; want >= 200 each", atAgent, atCarrier)
	}
	cdr := lastCDR(t, p, 1)
	if cdr.Callee != "1003" || cdr.Caller != "01058009999" || cdr.RawCaller != "58009999" {
		t.Errorf("CDR callee %q caller %q raw %q; want the holiday target 1003, the bare local caller completed with the area code", cdr.Callee, cdr.Caller, cdr.RawCaller)
	}
}

// call.dial from the CTI to a mobile: the PBX rings the agent's phone,
// then the customer through the trunk, presenting the tenant's DID.
func TestTrunkCTIDialLeavesThroughTrunk(t *testing.T) {
	t.Parallel()
	bPort := testpbx.FreeUDPPort(t, "127.0.113.45")
	b := carrier(t, "127.0.113.45", bPort, carrierUAS(t, 200), nil)
	tt := outboundTrunks(bPort, bPort)
	tt.Trunks = tt.Trunks[1:]
	tt.Trunks[0].Proxy = "127.0.113.45:" + strconv.Itoa(bPort)
	tt.Routes = []config.OutboundRoute{{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"b"}}}
	p, _ := ivrPBX(t, withTrunks(tt))
	waitTrunk(t, p, "b", trunk.StateUp, 10*time.Second)
	p.Callee(t, "1001", "127.0.113.57", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500"})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cl, _ := agentAndWatcher(t, ctx, p, "a1001")
	id, err := cl.Dial(ctx, "a1001", "013812345678", "")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == id && c.Connected != "" })
	waitGone(t, p, id, 15*time.Second)
	rb, _ := b.Stop()
	for _, want := range []string{"INVITE sip:+8613812345678@127.0.113.45", "From: <sip:+861058001000@"} {
		if !strings.Contains(rb.Messages, want) {
			t.Errorf("the carrier's INVITE lacks %q:\n%s", want, rb.Messages)
		}
	}
	if count(rb.Messages, "BYE sip:") != 1 {
		t.Errorf("the carrier was not hung up once when the agent hung up:\n%s", rb.Messages)
	}
}

// A carrier that wants session timers (RFC 4028): the PBX offers them,
// refreshes with UPDATE every half interval while the call lasts, and
// ends the call (both legs, cause session_expired) when a refresh is
// refused.
func TestTrunkSessionTimersRefreshedAndEndedWhenRefused(t *testing.T) {
	t.Parallel()
	for _, refresh := range []string{"200", "481"} {
		t.Run(refresh, func(t *testing.T) {
			t.Parallel()
			ip := map[string]string{"200": "127.0.113.46", "481": "127.0.113.47"}[refresh]
			port := testpbx.FreeUDPPort(t, ip)
			b := carrier(t, ip, port, carrierUASTimer(t, 200, 2, refresh), nil)
			tt := outboundTrunks(port, port)
			tt.Trunks = tt.Trunks[1:]
			tt.Trunks[0].Proxy = ip + ":" + strconv.Itoa(port)
			tt.Trunks[0].SessionExpires = 90 * time.Second
			tt.Routes = []config.OutboundRoute{{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"b"}}}
			p := testpbx.Start(t, withTrunks(tt))
			waitTrunk(t, p, "b", trunk.StateUp, 10*time.Second)
			caller := "127.0.113.58"
			if refresh == "481" {
				caller = "127.0.113.59"
			}
			// The caller talks 3.5 s: two or three refreshes fall inside.
			p.Call(t, "1002", caller, sipp.Scenario("uac_call.xml"), "13812345678", map[string]string{"talk_ms": "3500"})
			cdr := lastCDR(t, p, 1)
			rb, _ := b.Stop()
			if !strings.Contains(rb.Messages, "Session-Expires: 90;refresher=uac") || !strings.Contains(rb.Messages, "Supported: timer") {
				t.Errorf("the INVITE did not offer session timers:\n%s", rb.Messages)
			}
			updates := count(rb.Messages, "UPDATE sip:")
			switch refresh {
			case "200":
				if updates < 2 || cdr.HangupCause != "bye" || cdr.Disposition != "answered" {
					t.Errorf("%d refreshes, CDR %s/%s; want the session refreshed every second until the caller hung up", updates, cdr.Disposition, cdr.HangupCause)
				}
			case "481":
				if updates != 1 || cdr.HangupCause != "session_expired" || count(rb.Messages, "BYE sip:") != 1 {
					t.Errorf("%d refreshes, %d BYEs, CDR cause %s; want the call ended at the refused refresh", updates, count(rb.Messages, "BYE sip:"), cdr.HangupCause)
				}
			}
		})
	}
}
