package system_test

import (
	"fmt"
	"github.com/yimen/yimen/ivr"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/tests/testpbx"
)

func lastCDR(t *testing.T, p *testpbx.PBX, n int) pbxstore.CDR {
	t.Helper()
	list := p.CDRs(t, n)
	if len(list) < n {
		t.Fatalf("CDRs = %d, want %d", len(list), n)
	}
	return list[0]
}

func TestCallRelaysMediaBothWaysAndWritesCDR(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	callee := p.Callee(t, "1002", "127.0.2.2", "uas_answer.xml", true, nil)
	toCallee, err := sipp.CaptureUDP(t.Context(), fmt.Sprintf("udp and dst host 127.0.2.2 and dst port %d and udp[8] & 0xc0 = 0x80", callee.MediaPort()))
	if err != nil {
		t.Fatal(err)
	}
	toCaller, err := sipp.CaptureUDP(t.Context(), "udp and dst host 127.0.2.1 and udp[8] & 0xc0 = 0x80")
	if err != nil {
		t.Fatal(err)
	}
	res := p.Call(t, "1001", "127.0.2.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "8000"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	atCallee, err := toCallee.Stop()
	if err != nil {
		t.Fatal(err)
	}
	atCaller, err := toCaller.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// The pcap holds ~7 s of 30 ms packets (about 230).
	t.Logf("RTP packets: %d arrived at the callee, %d back at the caller", atCallee, atCaller)
	if atCallee < 200 || atCaller < 200 {
		t.Errorf("RTP through the relay: callee got %d, caller got %d; want >= 200 each", atCallee, atCaller)
	}
	relayed := p.Metric(t, "yimen_rtp_packets_relayed_total", nil)
	if relayed < float64(atCallee+atCaller)*0.95 {
		t.Errorf("relay counted %v packets, ends saw %d", relayed, atCallee+atCaller)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" || c.HangupSide != "caller" || c.HangupCause != "bye" || c.Caller != "1001" || c.Callee != "1002" || c.SIPCode != 200 {
		t.Errorf("CDR = %+v", c)
	}
	within(t, "talk time", c.Talk, 8*time.Second, 1500*time.Millisecond)
	if c.A.PacketsIn < 200 || c.B.PacketsIn < 200 || uint64(atCallee) > c.A.PacketsIn || uint64(atCaller) > c.B.PacketsIn {
		t.Errorf("CDR legs A=%+v B=%+v, ends saw %d/%d", c.A, c.B, atCallee, atCaller)
	}
	if p.Server.ActiveCalls() != 0 || p.Metric(t, "yimen_rtp_ports_in_use", nil) != 0 {
		t.Errorf("call not cleaned up: active=%d ports=%v", p.Server.ActiveCalls(), p.Metric(t, "yimen_rtp_ports_in_use", nil))
	}
}

func TestCallFailuresHaveTheRightCodes(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) { c.Calls.RingTimeout = 2 * time.Second })
	p.Callee(t, "1004", "127.0.3.4", "uas_busy.xml", false, nil)
	p.Callee(t, "1005", "127.0.3.5", "uas_noanswer.xml", false, nil)

	cases := []struct {
		name, callee, media string
		code                int
		disposition         string
	}{
		{"busy", "1004", "", 486, "busy"},
		{"no answer", "1005", "", 408, "no_answer"},
		{"not registered", "1006", "", 480, "unavailable"},
		{"no such extension", "1999", "", 404, "not_found"},
		{"unsupported codec", "1004", "m=audio [media_port] RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", 488, "rejected_codec"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := p.Call(t, "1001", "127.0.3.1", expectScenario(t, tc.code, tc.media), tc.callee, nil)
			if err := res.Check(1); err != nil {
				t.Fatal(err)
			}
			c := lastCDR(t, p, i+1)
			if c.Disposition != tc.disposition || c.SIPCode != tc.code {
				t.Errorf("CDR disposition=%s code=%d, want %s %d", c.Disposition, c.SIPCode, tc.disposition, tc.code)
			}
		})
	}
}

func TestCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	callee := p.Callee(t, "1002", "127.0.4.2", "uas_noanswer.xml", false, nil)
	res := p.Call(t, "1001", "127.0.4.1", sipp.Scenario("uac_cancel.xml"), "1002", nil)
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "cancelled" || c.HangupSide != "caller" || c.SIPCode != 487 || c.Talk != 0 {
		t.Errorf("CDR = %+v", c)
	}
	// The callee saw the CANCEL too: its scenario completes only through CANCEL → 487 → ACK.
	cr, err := callee.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if cr.Successful != 1 {
		t.Errorf("callee: %d successful calls (CANCEL not relayed?)\n%s", cr.Successful, cr.Errors)
	}
}

func TestHoldAndUnholdAreRelayed(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.5.2", "uas_answer.xml", true, nil)
	res := p.Call(t, "1001", "127.0.5.1", sipp.Scenario("uac_hold.xml"), "1002", map[string]string{"talk_ms": "1000", "hold_ms": "2000"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" {
		t.Fatalf("CDR = %+v", c)
	}
	within(t, "hold time", c.Hold, 2*time.Second, 700*time.Millisecond)
}

func TestMediaTimeoutAndMaxDurationHangUpBothLegs(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) { c.Calls.MediaTimeout = 2 * time.Second })
	// No echo: the callee sends nothing and the caller's pcap ends after ~7 s.
	callee := oneCallCallee(t, p, "1002", "127.0.6.2", false)
	res := p.Call(t, "1001", "127.0.6.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "15000"})
	if res.Failed != 1 {
		t.Errorf("caller should have been hung up on (its BYE-less end fails the call): %+v", res.Counters)
	}
	calleeHungUp(t, "media timeout", callee)
	c := lastCDR(t, p, 1)
	if c.HangupCause != "media_timeout" || c.HangupSide != "system" {
		t.Fatalf("CDR = %+v", c)
	}
	within(t, "talk before media timeout", c.Talk, 9*time.Second, 2*time.Second)

	q := testpbx.Start(t, func(c *cfgT) { c.Calls.MaxDuration = 3 * time.Second })
	callee = oneCallCallee(t, q, "1002", "127.0.6.4", true)
	res = q.Call(t, "1001", "127.0.6.3", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "8000"})
	if res.Failed != 1 {
		t.Errorf("caller at max duration should have been hung up on: %+v", res.Counters)
	}
	calleeHungUp(t, "max duration", callee)
	c = lastCDR(t, q, 1)
	if c.HangupCause != "max_duration" || c.HangupSide != "system" {
		t.Fatalf("CDR = %+v", c)
	}
	within(t, "talk at max duration", c.Talk, 3*time.Second, 1100*time.Millisecond)
}

// oneCallCallee registers ext as a SIPp callee (uas_answer.xml) that
// exits after one call, so that Wait reports how that call ended.
func oneCallCallee(t *testing.T, p *testpbx.PBX, ext, ip string, echo bool) *sipp.Proc {
	t.Helper()
	sipp.Require(t)
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: ip, RTPEcho: echo,
		Calls: 1, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	p.Register(t, ext, ip, proc.Port())
	return proc
}

// calleeHungUp checks that the PBX ended the callee's leg with a BYE: the
// callee's scenario succeeds only by answering one.
func calleeHungUp(t *testing.T, why string, callee *sipp.Proc) {
	t.Helper()
	res, err := callee.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(1); err != nil {
		t.Errorf("%s: the callee's leg was not hung up with a BYE: %v", why, err)
	}
}

func TestForeignRTPDroppedAfterLatching(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.7.2", "uas_answer.xml", true, nil)
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.7.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "8000"})
	}()
	// Wait until the call is up and the caller's stream has latched.
	var relayAddr string
	deadline := time.Now().Add(10 * time.Second)
	for relayAddr == "" && time.Now().Before(deadline) {
		// In process: the admin API shows relay addresses to the platform's
		// system administrator only, and the harness token is a business one.
		calls := p.Server.Calls()
		if len(calls) == 1 && calls[0].State == "answered" && calls[0].PacketsIn[0] > 10 {
			relayAddr = calls[0].CallerRTP
		}
		time.Sleep(100 * time.Millisecond)
	}
	if relayAddr == "" {
		t.Fatal("call never came up")
	}
	to, _ := net.ResolveUDPAddr("udp", relayAddr)
	attacker, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 7, 1)}) // same host, other port
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	pkt := make([]byte, 172)
	pkt[0], pkt[1] = 0x80, 8 // RTP v2, PCMA
	for i := 0; i < 50; i++ {
		pkt[3] = byte(i)
		attacker.WriteToUDP(pkt, to)
	}
	res := <-done
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.DroppedForeign != 50 {
		t.Errorf("dropped foreign packets = %d, want exactly the 50 injected", c.DroppedForeign)
	}
	if got := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "foreign_source"}); got != 50 {
		t.Errorf("metric foreign_source drops = %v", got)
	}
}

// SIGTERM to the pbx process starts the drain: new calls are refused, a
// call that ends by itself within calls.drain_timeout ends normally, and
// one still up when the timeout passes is hung up by the system (cause
// "shutdown") before the process exits.
func TestSIGTERMDrainLetsCallsFinish(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	const drain = 6 * time.Second
	p := testpbx.NewProcess(t, "", fmt.Sprintf("calls: {drain_timeout: %s}", drain))
	p.Start()
	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: "127.0.8.2", RTPEcho: true,
		Calls: 2, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	reg := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIP, LocalIP: "127.0.8.2",
		User: "1002", Password: p.Secret("1002"), Service: "1002", Vars: map[string]string{"contact_port": fmt.Sprint(callee.Port()), "expires": "600"}})
	if err := reg.Check(1); err != nil {
		t.Fatalf("register 1002: %v", err)
	}
	token := p.Operator()
	place := func(ip, talk string) chan *sipp.Result {
		done := make(chan *sipp.Result, 1)
		go func() {
			done <- testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIP, LocalIP: ip,
				User: "1001", Password: p.Secret("1001"), Service: "1002", Vars: map[string]string{"talk_ms": talk}, Timeout: 60 * time.Second})
		}()
		return done
	}
	short := place("127.0.8.1", "3000") // ends by itself, inside the drain
	long := place("127.0.8.4", "30000") // outlives the drain
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var calls []struct {
			State string `json:"state"`
		}
		p.GetJSON(token, "/api/v1/calls", &calls)
		if len(calls) == 2 && calls[0].State == "answered" && calls[1].State == "answered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls did not come up: %+v", calls)
		}
	}

	stopped := make(chan time.Duration, 1)
	go func() { stopped <- p.Stop() }() // SIGTERM, then wait for the exit
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.Log(), "draining calls"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no drain after SIGTERM:\n%s", p.Log())
		}
	}
	// A new call while draining is refused, before any digest challenge:
	// placed without credentials, so that the harness does not require one.
	late := testpbx.RunSIPp(t, sipp.Options{Scenario: expectScenario(t, 503, ""), Remote: p.SIP, LocalIP: "127.0.8.3", User: "1003", Service: "1002"})
	if err := late.Check(1); err != nil {
		t.Errorf("new call during drain: %v", err)
	}
	if err := (<-short).Check(1); err != nil {
		t.Errorf("call in progress was cut by the drain: %v", err)
	}
	if res := <-long; res.Successful != 0 || res.Failed != 1 {
		t.Errorf("call outliving the drain: %d successful, %d failed; want it hung up on (failed)", res.Successful, res.Failed)
	}
	took := <-stopped
	if took < drain-time.Second || took > drain+10*time.Second {
		t.Errorf("exit %v after SIGTERM, want the drain timeout (%v) and a little", took, drain)
	}
	got, err := callee.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check(2); err != nil {
		t.Errorf("callee: both legs must end with a BYE: %v", err)
	}

	p.Start()
	var cdrs []struct {
		Disposition string `json:"disposition"`
		HangupSide  string `json:"hangup_side"`
		HangupCause string `json:"hangup_cause"`
		TalkMS      int64  `json:"talk_ms"`
	}
	p.GetJSON(p.Operator(), "/api/v1/cdrs?tenant=demo&limit=1000", &cdrs)
	causes := map[string]int{}
	for _, c := range cdrs {
		if c.Disposition != "answered" {
			continue // the refused late call
		}
		causes[c.HangupSide+"/"+c.HangupCause]++
	}
	if causes["caller/bye"] != 1 || causes["system/shutdown"] != 1 {
		t.Errorf("answered CDRs after the drain by side/cause = %v, want caller/bye and system/shutdown once each", causes)
	}
}

func TestCallOverTCP(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: "127.0.9.2", Transport: "t1", RTPEcho: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	reg := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.9.2", Transport: "t1",
		User: "1002", Password: p.Secrets["1002"], Vars: map[string]string{"contact_port": fmt.Sprint(callee.Port())}})
	if err := reg.Check(1); err != nil {
		t.Fatal(err)
	}
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.9.1", Transport: "t1",
		User: "1001", Password: p.Secrets["1001"], Service: "1002", Vars: map[string]string{"talk_ms": "7200"}})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" || c.A.PacketsIn < 200 || c.B.PacketsIn < 200 {
		t.Fatalf("CDR over TCP = %+v", c)
	}
}

// A phone blind-transfers with REFER: the caller ends up talking to 1003.
func TestPhoneBlindTransferWithREFER(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	referrer := referringPhone(t, p, "1002", "127.0.32.2", "1003", 1500)
	p.Callee(t, "1003", "127.0.32.3", "uas_answer.xml", false, map[string]string{"play_pcap": "1"})
	res := p.Call(t, "1001", "127.0.32.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "7500"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	rr, err := referrer.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if rr.Successful != 1 {
		t.Errorf("referrer: 202, NOTIFY 200 and BYE not all seen: %+v\n%s", rr.Counters, rr.Errors)
	}
	c := lastCDR(t, p, 1)
	if c.Disposition != "answered" || c.B.PacketsIn < 100 {
		t.Errorf("after REFER the caller should hear 1003: %+v", c)
	}
}

// A finished recording is announced to a third-party QA system by a webhook
// signed with HMAC-SM3.
func TestRecordingWebhookIsSigned(t *testing.T) {
	t.Parallel()
	key := "webhook-test-key-0123456789"
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Yimen-Signature") != ivr.SignHTTP([]byte(key), r.Header.Get("X-Yimen-Timestamp"), body) {
			http.Error(w, "bad signature", 401)
			got <- "bad signature"
			return
		}
		got <- string(body)
	}))
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "webhook.key")
	os.WriteFile(keyFile, []byte(key), 0o600)
	p := testpbx.Start(t, func(c *cfgT) {
		c.Recording.Policy = "always"
		c.Recording.WebhookURL, c.Recording.WebhookKeyFile = srv.URL, keyFile
	})
	p.Callee(t, "1002", "127.0.35.2", "uas_answer.xml", true, nil)
	if err := p.Call(t, "1001", "127.0.35.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "2000"}).Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	select {
	case body := <-got:
		if !strings.Contains(body, `"id":"`+c.ID+`"`) || !strings.Contains(body, `"sm3":`) {
			t.Fatalf("webhook body = %s", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook")
	}
}
