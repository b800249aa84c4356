package system_test

import (
	"context"
	"fmt"
	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/pbxstore"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/tests/testpbx"
)

// A supervisor's CTI client sees a queued call reach the agent, in order,
// with consecutive seq numbers; an agent command over CTI changes ACD state.
func TestCTIEventsForAQueuedCall(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *cfgT) { c.Recording.Policy = "always" })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	p.Callee(t, "1002", "127.0.23.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500", "play_pcap": "1"})
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 3500}}, "bye")
	p.Call(t, "1001", "127.0.23.1", scen, "8000", nil)

	var seen []string
	var last uint64
	deadline := time.After(10 * time.Second)
	for !contains(seen, protocol.EventCallEnded) || !contains(seen, "recording.ready") {
		select {
		case ev := <-cl.Events():
			if last != 0 && ev.Seq != last+1 {
				t.Fatalf("seq jumped from %d to %d at %s", last, ev.Seq, ev.Type)
			}
			last = ev.Seq
			seen = append(seen, ev.Type)
		case <-deadline:
			t.Fatalf("events so far: %v", seen)
		}
	}
	for _, want := range []string{protocol.EventCallRinging, protocol.EventCallAnswered, protocol.EventAgentState} {
		if !contains(seen, want) {
			t.Errorf("no %s event in %v", want, seen)
		}
	}
	if i, j := index(seen, protocol.EventCallRinging), index(seen, protocol.EventCallAnswered); i > j {
		t.Errorf("answered before ringing: %v", seen)
	}

	// Agent state commands reach the ACD.
	if err := cl.NotReady(ctx, "a1002", "lunch"); err != nil {
		t.Fatalf("notready: %v", err)
	}
	for {
		select {
		case ev := <-cl.Events():
			if ev.Type == protocol.EventAgentState && strings.Contains(string(ev.Data), "lunch") {
				return
			}
		case <-deadline:
			t.Fatal("no agent.state for not ready")
		}
	}
}

// An agent holds and resumes the other party from the CTI: the PBX re-INVITEs
// them (the callee's SIPp checks the mirrored direction), events go out, and
// the hold time lands on the CDR.
func TestCTIHoldAndUnhold(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	p.Callee(t, "1002", "127.0.24.2", "uas_answer.xml", true, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
	sup := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sup.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.24.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "7500"}).Check(1)
	}()
	// Held once media flows both ways: the ACK is in and the call settled.
	callID := waitCall(t, p, func(c b2bua.CallInfo) bool {
		return c.State == "answered" && c.PacketsIn[0] > 0 && c.PacketsIn[1] > 0
	}).ID
	if err := cl.Hold(ctx, "a1001", callID); err != nil {
		t.Fatalf("hold: %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cl.Unhold(ctx, "a1001", callID); err != nil {
		t.Fatalf("unhold: %v", err)
	}
	if err := cl.Hold(ctx, "a1002", callID); err == nil {
		t.Error("an agent not on the call could hold it")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	within(t, "hold time", c.Hold, 1500*time.Millisecond, 600*time.Millisecond)
	var seen []string
	for len(sup.Events()) > 0 {
		seen = append(seen, (<-sup.Events()).Type)
	}
	if !contains(seen, protocol.EventCallHeld) || !contains(seen, protocol.EventCallResumed) {
		t.Errorf("events = %v, want call.held and call.resumed", seen)
	}
}

// waitCall waits up to 8 s for a call in progress that matches.
func waitCall(t *testing.T, p *testpbx.PBX, match func(b2bua.CallInfo) bool) b2bua.CallInfo {
	t.Helper()
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			if match(c) {
				return c
			}
		}
	}
	t.Fatalf("no matching call among %+v", p.Server.Calls())
	return b2bua.CallInfo{}
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Click-to-dial from the CTI rings the agent's phone, then the customer, and
// bridges them; a supervisor's CTI listen rings the supervisor's phone and
// feeds it the call's audio; the agent hangs up from the CTI.
func TestCTIDialMonitorHangup(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	agentPhone := p.Callee(t, "1001", "127.0.27.1", "uas_answer.xml", false, map[string]string{"play_pcap": "1"})
	p.Callee(t, "1003", "127.0.27.3", "uas_answer.xml", false, map[string]string{"play_pcap": "1"})
	supPhone := p.Callee(t, "1009", "127.0.27.9", "uas_answer.xml", false, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
	callID, err := cl.Dial(ctx, "a1001", "1003", "96123")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	var answered bool
	for deadline := time.Now().Add(8 * time.Second); !answered && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			answered = answered || (c.ID == callID && c.PacketsIn[0] > 20 && c.PacketsIn[1] > 20)
		}
	}
	if !answered {
		t.Fatalf("click-to-dial call %s never had media both ways: %+v", callID, p.Server.Calls())
	}

	supAudio, err := sipp.CaptureUDP(ctx, fmt.Sprintf("udp and dst host 127.0.27.9 and dst port %d and udp[8] & 0xc0 = 0x80", supPhone.MediaPort()))
	if err != nil {
		t.Fatal(err)
	}
	sup := p.DialCTI(t, p.AgentCTIToken(t, "supervisor", "a1009"))
	if err := sup.Do(ctx, protocol.CmdSupervisorListen, protocol.Monitor{Agent: "a1001"}, nil); err != nil {
		t.Fatalf("listen: %v", err)
	}
	time.Sleep(2 * time.Second)
	if err := cl.Hangup(ctx, "a1001", callID); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	heard, err := supAudio.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if heard < 50 {
		t.Errorf("supervisor's phone got %d RTP packets while listening", heard)
	}
	list := p.CDRs(t, 2)
	var c pbxstore.CDR
	for _, x := range list {
		if x.ID == callID {
			c = x
		}
	}
	if c.Caller != "1001" || c.Callee != "1003" || c.Disposition != "answered" || c.HangupCause != "cti_hangup" || c.B.PacketsIn < 50 {
		t.Errorf("click-to-dial CDR = %+v", c)
	}
	_ = agentPhone
}

// An agent blind-transfers a queued caller from the CTI: the agent's phone is
// hung up, the new extension is bridged, and when it hangs up the caller is
// back in the flow for the survey.
func TestCTIBlindTransfer(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	first := p.Callee(t, "1002", "127.0.28.2", "uas_answer.xml", true, nil)
	p.Callee(t, "1003", "127.0.28.3", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500", "play_pcap": "1"})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	done := make(chan *sipp.Result, 1)
	go func() {
		scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 6500}, {Kind: "dtmf", Key: "5"}}, "wait_bye")
		done <- p.Call(t, "1001", "127.0.28.1", scen, "8000", nil)
	}()
	var callID string
	for deadline := time.Now().Add(10 * time.Second); callID == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			if c.Callee == "8000" && c.PacketsIn[1] > 0 {
				callID = c.ID
			}
		}
	}
	if callID == "" {
		t.Fatal("queued call never reached the agent")
	}
	if err := cl.Transfer(ctx, "a1002", callID, "1003", "blind"); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	fr, _ := first.Stop()
	if fr.Successful != 1 {
		t.Errorf("the transferring agent's phone was not hung up properly: %+v", fr.Counters)
	}
	sv, err := storeOf(t, p).SurveyOf(context.Background(), callID)
	if err != nil || sv == nil || sv.Score == nil || *sv.Score != 5 {
		t.Fatalf("survey after the transfer = %+v %v", sv, err)
	}
}

// An agent adds a third party from the CTI: all three hear each other.
func TestCTIThreeWayConference(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cust, agent, third := newEndpoint(t, "127.0.31.3"), newEndpoint(t, "127.0.31.2"), newEndpoint(t, "127.0.31.9")
	for _, e := range []struct {
		ext, ip string
		ep      *rtpEndpoint
	}{{"1002", "127.0.31.2", agent}, {"1009", "127.0.31.9", third}} {
		proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", e.ip, e.ep.port()),
			LocalIP: e.ip, Dir: t.TempDir(), Timeout: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { proc.Stop() })
		p.Register(t, e.ext, e.ip, proc.Port())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1003", "127.0.31.3", mediaScenario(t, "uac_media.tmpl", "127.0.31.3", cust.port()), "1002", map[string]string{"talk_ms": "9000"})
	}()
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" && c.Callee == "1002" })
	callID, callerRTP, calleeRTP := call.ID, call.CallerRTP, call.CalleeRTP
	defer cust.send(callerRTP, 500)()
	defer agent.send(calleeRTP, 800)()
	if err := cl.Do(ctx, protocol.CmdCallConference, protocol.Conference{Agent: "a1002", Call: callID, To: "1009"}, nil); err != nil {
		t.Fatalf("conference: %v", err)
	}
	var thirdRTP string
	for deadline := time.Now().Add(5 * time.Second); thirdRTP == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			if c.Caller == "1009" && c.State == "answered" {
				thirdRTP = c.CallerRTP
			}
		}
	}
	if thirdRTP == "" {
		t.Fatal("third party never joined")
	}
	defer third.send(thirdRTP, 1200)()
	time.Sleep(500 * time.Millisecond)
	cust.reset()
	agent.reset()
	third.reset()
	time.Sleep(2 * time.Second)
	c12, a12, t58 := cust.heard(1200, 800), agent.heard(1200, 500), third.heard(500, 800)
	t.Logf("customer hears third %.2f agent %.2f; agent hears third %.2f customer %.2f; third hears customer %.2f agent %.2f", c12[0], c12[1], a12[0], a12[1], t58[0], t58[1])
	for _, v := range [][]float64{c12, a12, t58} {
		if v[0] < 0.05 || v[1] < 0.05 {
			t.Errorf("someone does not hear both others: %v", v)
		}
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
}

// A caller waiting in a queue with no agent ready accepts the callback offer
// (presses 1) and hangs up; when the agent becomes ready the PBX rings the
// agent, then the caller's phone.
func TestQueueCallbackIsDialledWhenAnAgentFreesUp(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *cfgT) {
		q := c.Tenants[0].Queues["support"]
		q.CallbackAfter, q.AnnounceEvery = 2*time.Second, time.Second
		c.Tenants[0].Queues["support"] = q
	})
	p.Callee(t, "1002", "127.0.33.2", "uas_answer.xml", false, map[string]string{"play_pcap": "1", "hangup_ms": "2000"})
	p.Callee(t, "1001", "127.0.33.11", "uas_answer.xml", true, nil) // the customer's phone, rung back
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	if err := cl.NotReady(ctx, "a1002", "meeting"); err != nil {
		t.Fatal(err)
	}
	// The second "1" goes by SIP INFO: replaying SIPp's one DTMF pcap would repeat
	// the first event's RTP timestamp, which RFC 4733 reads as the same key press.
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 4500}, {Kind: "info", Key: "1"}}, "wait_bye")
	if err := p.Call(t, "1001", "127.0.33.1", scen, "8000", nil).Check(1); err != nil {
		b, _ := os.ReadFile(filepath.Join(p.Dir, "pbx.log"))
		t.Fatalf("caller: %v\n%s", err, b)
	}
	if err := cl.Ready(ctx, "a1002"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, c := range p.CDRs(t, 0) {
			if c.Caller == "1002" && c.Callee == "1001" && c.Disposition == "answered" {
				return
			}
		}
	}
	t.Fatalf("no answered callback call; CDRs: %+v", p.CDRs(t, 0))
}

// An agent keys digits from the CTI; the customer's phone receives them as
// RFC 4733 events.
func TestCTISendsDTMF(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cust, agent := newEndpoint(t, "127.0.34.3"), newEndpoint(t, "127.0.34.2")
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", "127.0.34.2", agent.port()),
		LocalIP: "127.0.34.2", Dir: t.TempDir(), Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	p.Register(t, "1002", "127.0.34.2", proc.Port())
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1003", "127.0.34.3", mediaScenario(t, "uac_media.tmpl", "127.0.34.3", cust.port()), "1002", map[string]string{"talk_ms": "4000"})
	}()
	callID := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" }).ID
	if err := cl.Do(ctx, protocol.CmdCallDTMF, protocol.DTMF{Agent: "a1002", Call: callID, Digits: "12#"}, nil); err != nil {
		t.Fatalf("dtmf: %v", err)
	}
	var got []byte
	for deadline := time.After(3 * time.Second); len(got) < 3; {
		select {
		case k := <-cust.keys.Keys():
			got = append(got, k)
		case <-deadline:
			t.Fatalf("customer got keys %q, want 12#", got)
		}
	}
	if string(got) != "12#" {
		t.Fatalf("customer got %q", got)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
}

// With login_on_register an agent is logged in and ready when their phone
// registers, and logged out when it unregisters.
func TestAgentLoginFollowsRegistration(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *cfgT) { c.Tenants[0].AutoLogin, c.Tenants[0].LoginOnRegister = false, true })
	state := func() acd.State {
		st, err := p.Contact.ACD.Agent(context.Background(), "demo", "a1002")
		if err != nil {
			t.Fatal(err)
		}
		return st.State
	}
	waitState := func(want acd.State) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); state() != want; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("agent state %s, want %s", state(), want)
			}
		}
	}
	waitState(acd.LoggedOut)
	p.Register(t, "1002", "127.0.36.2", 5990)
	waitState(acd.Ready)
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("unregister.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.36.2",
		User: "1002", Password: p.Secrets["1002"], Service: "1002", Vars: map[string]string{"contact_port": "5990"}})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	waitState(acd.LoggedOut)
}

// Three callers queue one after another in a longest-idle queue of three
// agents: each goes to the agent idle longest, so the agents take one each,
// in the order they became ready. They become ready in an order that is
// neither the queue's list order nor its reverse, so a strategy that walks
// the list fails this test.
func TestLongestIdleQueueOrder(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *cfgT) {
		c.Tenants[0].Agents = []config.Agent{{ID: "a1002", Extension: "1002"}, {ID: "a1003", Extension: "1003"}, {ID: "a1004", Extension: "1004"}}
		c.Tenants[0].Queues = map[string]config.Queue{"support": {Strategy: "longest-idle", Agents: []string{"a1002", "a1003", "a1004"}, RingTimeout: 10 * time.Second}}
	})
	for i, ext := range []string{"1002", "1003", "1004"} {
		p.Callee(t, ext, fmt.Sprintf("127.0.37.%d", 2+i), "uas_answer.xml", true, nil)
	}
	// Auto-login made them ready in list order; a break and back, one
	// after the other, makes each idle since a later instant.
	for _, ext := range []string{"1003", "1004", "1002"} {
		if err := p.Contact.ACD.NotReady(t.Context(), "demo", "a"+ext, "break"); err != nil {
			t.Fatal(err)
		}
		if err := p.Contact.ACD.Ready(t.Context(), "demo", "a"+ext); err != nil {
			t.Fatal(err)
		}
		waitAgent(t, p, "a"+ext, func(st acd.AgentStatus, err error) bool { return err == nil && st.State == acd.Ready })
	}
	var got []string
	done := make(chan *sipp.Result, 3)
	for i := 0; i < 3; i++ {
		before := len(p.Server.Calls())
		go func() {
			scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 9000}}, "bye")
			done <- p.Call(t, "1001", fmt.Sprintf("127.0.37.%d", 11+i), scen, "8000", nil)
		}()
		// Wait for this caller to be connected before the next one queues.
		var agent string
		for deadline := time.Now().Add(8 * time.Second); agent == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			calls := p.Server.Calls()
			if len(calls) <= before {
				continue
			}
			for _, c := range calls {
				if c.Connected != "" && !contains(got, c.Connected) {
					agent = c.Connected
				}
			}
		}
		if agent == "" {
			t.Fatalf("caller %d never reached an agent (got %v)", i+1, got)
		}
		got = append(got, agent)
	}
	if strings.Join(got, ",") != "1003,1004,1002" {
		t.Errorf("agents in answer order = %v, want 1003,1004,1002 (longest idle first)", got)
	}
	for i := 0; i < 3; i++ {
		if err := (<-done).Check(1); err != nil {
			t.Error(err)
		}
	}
}

// The agent's click-to-dial reaches nobody (1007 has no phone): the ACD had
// them busy while it lasted, and they go to wrap-up for the tenant's
// outbound_wrap_up, then back to ready.
func TestCTIDialUnansweredGoesToWrapUp(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *cfgT) { c.Tenants[0].OutboundWrapUp = 3 * time.Second })
	p.Callee(t, "1001", "127.0.28.1", "uas_answer.xml", false, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cl := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
	callID, err := cl.Dial(ctx, "a1001", "1007", "")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	var st acd.AgentStatus
	waitAgent(t, p, "a1001", func(s acd.AgentStatus, err error) bool { st = s; return err == nil && s.State == acd.WrapUp })
	if until := time.Until(st.WrapUpUntil); until <= 0 || until > 3*time.Second {
		t.Errorf("wrap-up until %v (in %v), want within the 3 s outbound wrap-up", st.WrapUpUntil, until)
	}
	c := lastCDR(t, p, 1)
	if c.ID != callID || c.Disposition == "answered" {
		t.Errorf("CDR %+v, want the dialled call unanswered", c)
	}
	waitAgent(t, p, "a1001", func(s acd.AgentStatus, err error) bool { return err == nil && s.State == acd.Ready })
}
