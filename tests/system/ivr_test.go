package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/prompt"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/tests/testpbx"
)

type ivrStep struct {
	Kind, Key string
	Ms        int
}

// ivrCaller renders a caller that walks the IVR with the given steps.
func ivrCaller(t *testing.T, steps []ivrStep, end string) string {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), "uac_ivr.tmpl", struct {
		Steps  []ivrStep
		End    string
		WaitMs int
	}{steps, end, 15000})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// ivrPBX starts a PBX whose 8000 runs testdata/ivr/test.ivr from a copy the test may change.
func ivrPBX(t *testing.T, more ...testpbx.Option) (*testpbx.PBX, string) {
	flows := t.TempDir()
	for _, f := range []string{"test.ivr", "survey.ivr"} {
		b, err := os.ReadFile(filepath.Join("testdata", "ivr", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(flows, f), b, 0o644)
	}
	prompts := testpbx.RepoPath("configs/prompts")
	p := testpbx.Start(t, func(c *cfgT) {
		c.IVR = config.IVR{Flows: flows, Prompts: prompts}
		c.Tenants[0].IVR = map[string]string{"8000": "test"}
		c.Tenants[0].Agents = []config.Agent{{ID: "a1002", Name: "Agent 1002", Extension: "1002", Skills: map[string]int{"general": 50}},
			{ID: "a1001", Name: "Agent 1001", Extension: "1001"}, {ID: "a1009", Name: "Supervisor", Extension: "1009"}}
		c.Tenants[0].Supervisors = []string{"1009"}
		c.Tenants[0].Queues = map[string]config.Queue{"support": {Strategy: "longest-idle", Agents: []string{"a1002"}, RingTimeout: 15 * time.Second}}
		c.Tenants[0].AutoLogin = true
		for _, o := range more {
			o(c)
		}
	})
	return p, flows
}

func storeOf(t *testing.T, p *testpbx.PBX) *pbxstore.Store { return p.Server.Store() }

// The caller presses 1 (RFC 4733) in the menu, is put through to the queue's
// agent, returns to the survey when the agent hangs up, and scores 4.
func TestIVRMenuToAgentThenSurvey(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	p.Callee(t, "1002", "127.0.20.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "2000", "play_pcap": "1"})
	heard, err := sipp.CaptureUDP(t.Context(), "udp and dst host 127.0.20.1 and udp[8] & 0xc0 = 0x80")
	if err != nil {
		t.Fatal(err)
	}
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 5000}, {Kind: "dtmf", Key: "4"}}, "wait_bye")
	res := p.Call(t, "1001", "127.0.20.1", scen, "8000", nil)
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	pkts, err := heard.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// welcome (2 s) + the agent (2 s) + survey question (2 s) + thanks (1.6 s), 50 packets a second.
	if pkts < 250 {
		t.Errorf("caller heard %d RTP packets, want the prompts and the agent (>= 250)", pkts)
	}
	c := lastCDR(t, p, 1)
	if c.Callee != "8000" || c.Disposition != "answered" || c.HangupSide != "system" || c.B.PacketsIn < 50 {
		t.Errorf("CDR = %+v", c)
	}
	sv, err := storeOf(t, p).SurveyOf(context.Background(), c.ID)
	if err != nil || sv == nil || sv.Score == nil || *sv.Score != 4 {
		t.Fatalf("survey = %+v, %v; want score 4", sv, err)
	}
	// It counts for the agent who took the call and for the queue, today.
	want := acd.Surveys{Asked: 1, Answered: 1, ScoreSum: 4}
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, err := p.Contact.ACD.Agent(t.Context(), "demo", "a1002")
		if err != nil {
			t.Fatal(err)
		}
		if st.Today.Surveys == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a1002's surveys today %+v, want %+v", st.Today.Surveys, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	qs, err := p.Contact.ACD.QueueStats(t.Context(), "demo")
	if err != nil || len(qs) != 1 || qs[0].Today.Surveys != want {
		t.Fatalf("queue stats %+v %v, want support's surveys %+v", qs, err, want)
	}
	// The score is on the CDR the admin API serves.
	code, body := p.Admin(t, "GET", "/api/v1/cdrs?tenant=demo", nil)
	if code != 200 || !strings.Contains(string(body), `"survey":{"answered":true,"score":4}`) {
		t.Errorf("CDR API lacks the survey: %d %s", code, body)
	}
	// The ACD's view of the call is on the CDR too, and a queue filter finds it.
	var cdrs []struct {
		ID    string `json:"id"`
		Queue *struct {
			Name, Agent, Outcome string
			WaitMS               int64  `json:"wait_ms"`
			ACWMS                *int64 `json:"acw_ms"`
		} `json:"queue"`
	}
	code, body = p.Admin(t, "GET", "/api/v1/cdrs?tenant=demo&queue=support", nil)
	if err := json.Unmarshal(body, &cdrs); code != 200 || err != nil || len(cdrs) != 1 || cdrs[0].ID != c.ID || cdrs[0].Queue == nil {
		t.Fatalf("CDRs of queue support: %d %s", code, body)
	}
	if q := cdrs[0].Queue; q.Name != "support" || q.Agent != "a1002" || q.Outcome != "answered" || q.WaitMS < 0 || q.WaitMS > 5000 ||
		q.ACWMS == nil || *q.ACWMS != 0 {
		t.Errorf("queue part of the CDR = %+v (acw %v), want support/a1002/answered, no wrap-up configured", *q, q.ACWMS)
	}
	if code, body = p.Admin(t, "GET", "/api/v1/cdrs?tenant=demo&queue=lottery", nil); code != 200 || string(bytes.TrimSpace(body)) != "[]" {
		t.Errorf("CDRs of a queue the call never entered: %d %s", code, body)
	}
}

// The caller presses 2 by SIP INFO and leaves a message; it is stored as a
// G.711 WAV with the caller's number sealed.
func TestIVRVoicemailBySIPINFO(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(t.Context(), "tenant"); err != nil {
		t.Fatal(err)
	}
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "info", Key: "2"}, {Kind: "audio"}}, "wait_bye")
	res := p.Call(t, "1001", "127.0.21.1", scen, "8000", nil)
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	vms, err := storeOf(t, p).Voicemails(context.Background(), "demo", 10)
	if err != nil || len(vms) != 1 {
		t.Fatalf("voicemails = %+v, %v", vms, err)
	}
	vm := vms[0]
	if vm.Mailbox != "test" || vm.Caller != "1001" || vm.Duration < 2*time.Second || vm.Duration > 3200*time.Millisecond {
		t.Errorf("voicemail = %+v", vm)
	}
	a, err := prompt.LoadFile(vm.Path)
	if err != nil || len(a.Samples) < 16000 {
		t.Fatalf("voicemail file: %v (%d samples)", err, len(a.Samples))
	}
	// The OA learns of the message over CTI, to open a ticket for it.
	for deadline := time.After(5 * time.Second); ; {
		select {
		case ev := <-cl.Events():
			if ev.Type == "voicemail.recorded" {
				if !strings.Contains(string(ev.Data), vm.ID) || !strings.Contains(string(ev.Data), `"mailbox":"test"`) {
					t.Errorf("event = %s", ev.Data)
				}
				return
			}
		case <-deadline:
			t.Fatal("no voicemail.recorded event")
		}
	}
}

// The usual way to end a message: the caller hangs up while recording (BYE,
// no #). The call has left the call table by the time the message is stored;
// the message still belongs to the caller's tenant and the OA still hears of it.
func TestIVRVoicemailEndedByHangup(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(t.Context(), "tenant"); err != nil {
		t.Fatal(err)
	}
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "info", Key: "2"}, {Kind: "audio"}, {Kind: "pause", Ms: 2000}}, "bye")
	if err := p.Call(t, "1001", "127.0.21.3", scen, "8000", nil).Check(1); err != nil {
		t.Fatal(err)
	}
	var vmID string
	for deadline := time.After(5 * time.Second); vmID == ""; {
		select {
		case ev := <-cl.Events():
			if ev.Type != "voicemail.recorded" {
				continue
			}
			var d struct {
				ID, Mailbox, Caller string
				CallID              string `json:"call_id"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil || d.ID == "" || d.CallID == "" || d.Mailbox != "test" || d.Caller != "1001" || ev.Tenant != "demo" {
				t.Fatalf("event = %s %s (%v)", ev.Tenant, ev.Data, err)
			}
			vmID = d.ID
		case <-deadline:
			t.Fatal("no voicemail.recorded event for a message ended by hanging up")
		}
	}
	vms, err := storeOf(t, p).Voicemails(context.Background(), "demo", 10)
	if err != nil || len(vms) != 1 {
		t.Fatalf("voicemails of tenant demo = %+v, %v; want the one just left", vms, err)
	}
	if vm := vms[0]; vm.ID != vmID || vm.Tenant != "demo" || vm.Mailbox != "test" || vm.Caller != "1001" || vm.Duration < time.Second {
		t.Errorf("voicemail = %+v, want %s in tenant demo, about 2 s", vm, vmID)
	}
}

// A flow that fails to load never replaces the running one, and a reload
// does not disturb a call in progress.
func TestIVRReload(t *testing.T) {
	t.Parallel()
	p, flows := ivrPBX(t)
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.22.1", ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 9000}}, "wait_bye"), "8000", nil)
	}()
	live := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.Callee == "8000" && c.State == "answered" })
	os.WriteFile(filepath.Join(flows, "test.ivr"), []byte("start:\n  goto nowhere\n"), 0o644)
	code, body := p.Admin(t, "POST", "/api/v1/ivr/reload", nil)
	if code != 422 || !strings.Contains(string(body), "nowhere") {
		t.Fatalf("bad reload: %d %s", code, body)
	}
	good, _ := os.ReadFile(filepath.Join("testdata", "ivr", "test.ivr"))
	os.WriteFile(filepath.Join(flows, "test.ivr"), []byte(strings.Replace(string(good), "timeout 6s", "timeout 7s", 1)), 0o644)
	if code, body := p.Admin(t, "POST", "/api/v1/ivr/reload", nil); code != 200 {
		t.Fatalf("good reload: %d %s", code, body)
	}
	// Both reloads left the call in progress up.
	if !slices.ContainsFunc(p.Server.Calls(), func(c b2bua.CallInfo) bool { return c.ID == live.ID && c.State == "answered" }) {
		t.Errorf("call %s is no longer up after the reloads: %+v", live.ID, p.Server.Calls())
	}
	// The call in progress keeps its flow: no key, menu times out twice, goodbye.
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
}

// demoPBX runs the shipped demo hotline (configs/ivr) with the IVR clock pinned.
func demoPBX(t *testing.T, at string) *testpbx.PBX {
	abs := testpbx.RepoPath
	return testpbx.Start(t, func(c *cfgT) {
		c.IVR = config.IVR{Flows: abs("configs/ivr"), Prompts: abs("configs/prompts"), Calendars: abs("configs/calendars"), FixedTime: at}
		c.Tenants[0].IVR = map[string]string{"8000": "demo"}
		c.Tenants[0].Agents = []config.Agent{{ID: "a1002", Name: "Agent", Extension: "1002", Skills: map[string]int{"lottery": 80}}}
		c.Tenants[0].Queues = map[string]config.Queue{"lottery": {Strategy: "skills", Skill: "lottery", RingTimeout: 15 * time.Second}}
		c.Tenants[0].AutoLogin = true
	})
}

// The shipped demo flow on a make-up Saturday (2026-02-14 10:00, open): the
// caller presses 1, reaches the lottery queue's agent, and scores the call 3.
func TestDemoHotlineOpenOnMakeupSaturday(t *testing.T) {
	t.Parallel()
	p := demoPBX(t, "2026-02-14T10:00:00+08:00")
	p.Callee(t, "1002", "127.0.29.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500", "play_pcap": "1"})
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 6500}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 5500}, {Kind: "dtmf", Key: "3"}}, "wait_bye")
	if err := p.Call(t, "1001", "127.0.29.1", scen, "8000", nil).Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.B.PacketsIn < 50 {
		t.Errorf("the agent was never bridged: %+v", c)
	}
	if sv, err := storeOf(t, p).SurveyOf(context.Background(), c.ID); err != nil || sv == nil || sv.Score == nil || *sv.Score != 3 {
		t.Fatalf("survey = %+v %v", sv, err)
	}
}

// The same flow on a holiday Wednesday (2026-02-18 10:00, Spring Festival) is
// closed: the caller leaves a message, ended with #.
func TestDemoHotlineClosedOnHoliday(t *testing.T) {
	t.Parallel()
	p := demoPBX(t, "2026-02-18T10:00:00+08:00")
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 4500}, {Kind: "audio"}, {Kind: "pause", Ms: 3000}, {Kind: "dtmf", Key: "pound"}}, "wait_bye")
	if err := p.Call(t, "1001", "127.0.29.3", scen, "8000", nil).Check(1); err != nil {
		t.Fatal(err)
	}
	vms, err := storeOf(t, p).Voicemails(context.Background(), "demo", 10)
	if err != nil || len(vms) != 1 || vms[0].Mailbox != "hotline" || vms[0].Duration < 2*time.Second {
		t.Fatalf("voicemails = %+v %v", vms, err)
	}
}
