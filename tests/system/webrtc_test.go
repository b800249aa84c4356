package system_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/mix"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/tests/testpbx"
)

// browserPBX is a PBX whose number 8100 queues callers for agent a1002,
// who has no desk phone: only a browser session.
func browserPBX(t *testing.T, more ...testpbx.Option) *testpbx.PBX {
	t.Helper()
	flows := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "ivr", "browser_queue.ivr"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "browser_queue.ivr"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return testpbx.Start(t, func(c *cfgT) {
		c.IVR = config.IVR{Flows: flows, Prompts: testpbx.RepoPath("configs/prompts")}
		c.Tenants[0].IVR = map[string]string{"8100": "browser_queue"}
		c.Tenants[0].Agents = []config.Agent{{ID: "a1002", Name: "Browser agent", Extension: "1002"}, {ID: "a1009", Name: "Supervisor", Extension: "1009"}}
		c.Tenants[0].Supervisors = []string{"1009"}
		c.Tenants[0].Queues = map[string]config.Queue{"support": {Agents: []string{"a1002"}, RingTimeout: 20 * time.Second}}
		c.Tenants[0].AutoLogin = true
		for _, o := range more {
			o(c)
		}
	})
}

// agentCTI is agent a1002's CTI connection, following its own topic.
func agentCTI(t *testing.T, ctx context.Context, p *testpbx.PBX) *cticlient.Client {
	t.Helper()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	if _, err := cl.Subscribe(ctx, "agent:a1002"); err != nil {
		t.Fatal(err)
	}
	return cl
}

// openBrowser opens a browser session for the CTI client's agent and waits
// for DTLS.
func openBrowser(t *testing.T, ctx context.Context, cl *cticlient.Client) *testpbx.BrowserPeer {
	t.Helper()
	b, err := testpbx.NewBrowserPeer(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	offer, err := b.Offer()
	if err != nil {
		t.Fatal(err)
	}
	answer, err := cl.WebRTCOpen(ctx, "", offer)
	if err != nil {
		t.Fatalf("webrtc.open: %v", err)
	}
	if !strings.Contains(answer, "a=ice-lite") || !strings.Contains(answer, "a=fingerprint:") || !strings.Contains(answer, "PCMA/8000") {
		t.Errorf("answer is not ICE-lite DTLS-SRTP PCMA:\n%s", answer)
	}
	if err := b.Accept(ctx, answer); err != nil {
		t.Fatal(err)
	}
	return b
}

// waitEvent reads cl's events until one of typ matches, or fails the test.
func waitCTI(t *testing.T, cl *cticlient.Client, typ string, match func(json.RawMessage) bool) json.RawMessage {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-cl.Events():
			if ev.Type == typ && (match == nil || match(ev.Data)) {
				return ev.Data
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
			return nil
		}
	}
}

func stateIs(state string) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var s protocol.WebRTCState
		return json.Unmarshal(d, &s) == nil && s.State == state
	}
}

// answerRinging waits for the queue call to ring the browser (device
// browser) and answers it over the CTI.
func answerRinging(t *testing.T, ctx context.Context, cl *cticlient.Client) string {
	t.Helper()
	var r protocol.CallRinging
	if err := json.Unmarshal(waitCTI(t, cl, protocol.EventCallRinging, nil), &r); err != nil {
		t.Fatal(err)
	}
	if r.Device != protocol.DeviceBrowser {
		t.Errorf("call.ringing device = %q, want browser", r.Device)
	}
	if err := cl.Answer(ctx, "", r.Call); err != nil {
		t.Fatalf("call.answer: %v", err)
	}
	return r.Call
}

// A SIPp customer calls the queue; the agent's browser (a pion peer: ICE,
// DTLS-SRTP) rings with device browser and answers over the CTI; tones
// cross both ways; a supervisor listening hears both parties; the agent's
// CTI connection is cut mid-call: the customer is held with a tone, not hung
// up, and a new webrtc.open from a new page brings the audio back.
func TestBrowserAgentCallListenAndReattach(t *testing.T) {
	t.Parallel()
	p := browserPBX(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cl := agentCTI(t, ctx, p)
	browser := openBrowser(t, ctx, cl)
	waitCTI(t, cl, protocol.EventWebRTCState, stateIs(protocol.WebRTCConnected))

	const custIP = "127.0.31.1"
	cust := newEndpoint(t, custIP)
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", custIP, mediaScenario(t, "uac_media.tmpl", custIP, cust.port()), "8100", map[string]string{"talk_ms": "30000"})
	}()
	answerRinging(t, ctx, cl)
	call := waitCall(t, p, func(c b2bua.CallInfo) bool {
		return c.Callee == "8100" && c.State == "answered" && c.Connected == "1002"
	})
	cust.send(call.CallerRTP, 500)
	stopTone := browser.SendTone(800)
	time.Sleep(2 * time.Second)
	cust.reset()
	browser.Heard(mix.Power)
	rx0, tx0 := browser.Received(), browser.Sent()
	time.Sleep(2 * time.Second)
	heardByBrowser := browser.Heard(mix.Power, 500)[0]
	heardByCust := cust.heard(800)[0]
	rx, tx := browser.Received()-rx0, browser.Sent()-tx0
	t.Logf("browser hears customer %.3f, customer hears browser %.3f; browser got %d packets, sent %d in 2 s", heardByBrowser, heardByCust, rx, tx)
	if heardByBrowser < 0.05 || heardByCust < 0.05 {
		t.Errorf("audio does not cross: browser hears %.3f, customer hears %.3f", heardByBrowser, heardByCust)
	}
	if rx < 80 || tx < 80 {
		t.Errorf("packets in 2 s: browser received %d, sent %d; want about 100 each", rx, tx)
	}
	st, _ := p.Server.Browsers().SessionStats("demo", "a1002")
	if st.FromBrowser < 100 || st.ToBrowser < 100 {
		t.Errorf("gateway counts %+v", st)
	}

	// A supervisor listens (their desk phone answers the monitor leg).
	t.Run("listen", func(t *testing.T) {
		const supIP = "127.0.31.9"
		sup := newEndpoint(t, supIP)
		uas, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", supIP, sup.port()),
			LocalIP: supIP, Dir: t.TempDir(), Timeout: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { uas.Stop() })
		p.Register(t, "1009", supIP, uas.Port())
		supCl := p.DialCTI(t, p.AgentCTIToken(t, "supervisor", "a1009"))
		if err := supCl.Do(ctx, protocol.CmdSupervisorListen, protocol.Monitor{Agent: "a1002"}, nil); err != nil {
			t.Fatalf("listen: %v", err)
		}
		time.Sleep(2 * time.Second)
		sup.reset()
		time.Sleep(2 * time.Second)
		h := sup.heard(500, 800)
		t.Logf("supervisor hears customer %.3f, browser agent %.3f", h[0], h[1])
		if h[0] < 0.05 || h[1] < 0.05 {
			t.Errorf("the supervisor does not hear both parties: %.3f %.3f", h[0], h[1])
		}
	})

	// The page goes away: its CTI connection and its peer.
	stopTone()
	cl.Close()
	browser.Close()
	time.Sleep(1500 * time.Millisecond)
	cust.reset()
	time.Sleep(3 * time.Second)
	hold := cust.heard(holdToneHz)[0]
	t.Logf("customer hears the hold tone at %.3f while the agent is away", hold)
	if hold < 0.02 {
		t.Errorf("no hold tone for the customer (%.3f)", hold)
	}
	if st, _ := p.Server.Browsers().SessionStats("demo", "a1002"); st.State != "reattaching" {
		t.Errorf("session state %q, want reattaching", st.State)
	}

	// The reloaded page connects again and re-opens: the call carries on.
	cl2 := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	browser2 := openBrowser(t, ctx, cl2)
	defer browser2.SendTone(800)()
	time.Sleep(1500 * time.Millisecond)
	cust.reset()
	browser2.Heard(mix.Power)
	time.Sleep(2 * time.Second)
	back, custBack := browser2.Heard(mix.Power, 500)[0], cust.heard(800)[0]
	t.Logf("after re-open: browser hears customer %.3f, customer hears browser %.3f", back, custBack)
	if back < 0.05 || custBack < 0.05 {
		t.Errorf("audio did not come back after re-open: %.3f %.3f", back, custBack)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatalf("the customer's call: %v", err)
	}
	var c pbxstore.CDR
	for _, x := range p.CDRs(t, 2) { // the customer's call and the supervisor's monitor leg
		if x.Callee == "8100" {
			c = x
		}
	}
	if c.HangupCause != "bye" || c.HangupSide != "caller" {
		t.Errorf("CDR ended %s by %s, want the customer's bye", c.HangupCause, c.HangupSide)
	}
}

// holdToneHz is the gateway's hold tone (pbx/webrtc).
const holdToneHz = 425

// An agent whose browser does not come back within webrtc.reattach_timeout:
// the customer is hung up (cause agent_gone) and the agent goes not ready.
func TestBrowserAgentGone(t *testing.T) {
	t.Parallel()
	p := browserPBX(t, func(c *cfgT) { c.WebRTC.ReattachTimeout = 2 * time.Second })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sys := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sys.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	cl := agentCTI(t, ctx, p)
	browser := openBrowser(t, ctx, cl)
	const custIP = "127.0.31.21"
	cust := newEndpoint(t, custIP)
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", custIP, mediaScenario(t, "uac_media_bye.tmpl", custIP, cust.port()), "8100", nil)
	}()
	answerRinging(t, ctx, cl)
	waitCall(t, p, func(c b2bua.CallInfo) bool { return c.Callee == "8100" && c.State == "answered" })
	cl.Close()
	browser.Close()
	if err := (<-done).Check(1); err != nil {
		t.Fatalf("the customer was not hung up cleanly: %v", err)
	}
	c := lastCDR(t, p, 1)
	if c.HangupCause != "agent_gone" {
		t.Errorf("CDR cause %q, want agent_gone", c.HangupCause)
	}
	waitCTI(t, sys, protocol.EventWebRTCState, stateIs(protocol.WebRTCClosed))
	waitCTI(t, sys, protocol.EventAgentState, func(d json.RawMessage) bool {
		var s protocol.AgentState
		return json.Unmarshal(d, &s) == nil && s.Agent == "a1002" && s.State == "not_ready" && s.Reason == "agent_gone"
	})
	rows, err := p.Security.Platform.Audit.Search(ctx, audit.Filter{Tenant: "demo", Action: "webrtc"})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, r := range rows {
		if r.Target == "agent/a1002" {
			trail = append(trail, r.Action)
		}
	}
	if want := "webrtc.connected webrtc.reattaching webrtc.closed webrtc.agent_gone"; strings.Join(trail, " ") != want {
		t.Errorf("audit trail %v, want %s", trail, want)
	}
}

// Bad offers and someone else's agent get clear refusals.
func TestBrowserOpenRefusals(t *testing.T) {
	t.Parallel()
	p := browserPBX(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	opus, err := testpbx.NewBrowserPeer(false, testpbx.BrowserCodecs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer opus.Close()
	opusOffer, err := opus.Offer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, agent, sdp, want string
	}{
		{"not SDP", "", "hello", "not SDP"},
		{"Opus only", "", opusOffer, "no G.711 codec offered"},
		{"plain RTP", "", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n", "not DTLS-SRTP"},
		{"another agent", "a1009", opusOffer, "forbidden"},
	} {
		_, err := cl.WebRTCOpen(ctx, tc.agent, tc.sdp)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if p.Server.Browsers().Attached("demo", "a1002") {
		t.Error("a refused offer left a session")
	}

	// With a session open, its SIP contact answers the PBX only: a stranger
	// who learns it cannot ring, answer or end the browser's calls.
	openBrowser(t, ctx, cl)
	contact, dest, ok := p.Server.Browsers().Device("demo", "1002")
	if !ok {
		t.Fatal("no device for the open session")
	}
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.31.77")})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	req := "NOTIFY " + contact + " SIP/2.0\r\nVia: SIP/2.0/UDP " + stranger.LocalAddr().String() + ";branch=z9hG4bK-stranger1\r\n" +
		"From: <sip:x@127.0.31.77>;tag=s1\r\nTo: <" + contact + ">\r\nCall-ID: stranger-1\r\nCSeq: 1 NOTIFY\r\n" +
		"Event: talk\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := stranger.WriteToUDPAddrPort([]byte(req), dest); err != nil {
		t.Fatal(err)
	}
	_ = stranger.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 2048)
	n, err := stranger.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 403") {
		t.Errorf("a stranger's NOTIFY to the browser's contact: %q %v, want 403", buf[:n], err)
	}
}

// A browser agent's click-to-dial: the browser is connected at once (no
// ring to answer, as the contract has it), then the number rings; the two
// hear each other and the agent hangs up from the CTI.
func TestBrowserAgentDials(t *testing.T) {
	t.Parallel()
	p := browserPBX(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := agentCTI(t, ctx, p)
	browser := openBrowser(t, ctx, cl)
	const ip = "127.0.31.41"
	cust := newEndpoint(t, ip)
	mediaPhone(t, p, "1003", ip, cust, nil)
	id, err := cl.Dial(ctx, "", "1003", "")
	if err != nil {
		t.Fatalf("call.dial: %v", err)
	}
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == id && c.State == "answered" })
	cust.send(call.CalleeRTP, 500)
	defer browser.SendTone(800)()
	time.Sleep(1500 * time.Millisecond)
	cust.reset()
	browser.Heard(mix.Power)
	time.Sleep(2 * time.Second)
	b, c := browser.Heard(mix.Power, 500)[0], cust.heard(800)[0]
	t.Logf("browser hears the callee %.3f, the callee hears the browser %.3f", b, c)
	if b < 0.05 || c < 0.05 {
		t.Errorf("no audio both ways: %.3f %.3f", b, c)
	}
	if err := cl.Hangup(ctx, "", id); err != nil {
		t.Fatalf("call.hangup: %v", err)
	}
	cdr := lastCDR(t, p, 1)
	if cdr.HangupCause != "cti_hangup" || cdr.Disposition != "answered" {
		t.Errorf("CDR %s/%s, want answered/cti_hangup", cdr.Disposition, cdr.HangupCause)
	}
}
