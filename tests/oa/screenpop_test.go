package oa_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/tests/testpbx"
)

// hotlinePBX is the demo tenant with 8000 running testdata/oa.ivr into
// queue support, answered by agent a1002 on extension 1002, recording every
// call, its HTTP API on a fixed port so a restart keeps the OA's URL.
func hotlinePBX(t *testing.T, more ...testpbx.Option) *testpbx.PBX {
	t.Helper()
	sipp.Require(t)
	flows := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "oa.ivr"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "oa.ivr"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return testpbx.Start(t, func(c *config.Config) {
		host, _, _ := net.SplitHostPort(c.SIP.UDP)
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		c.HTTP.Addr = ln.Addr().String()
		ln.Close()
		c.IVR = config.IVR{Flows: flows, Prompts: testpbx.RepoPath("configs/prompts")}
		c.Tenants[0].IVR = map[string]string{"8000": "oa"}
		c.Tenants[0].Agents = []config.Agent{{ID: "a1002", Name: "Agent 1002", Extension: "1002"}}
		c.Tenants[0].Queues = map[string]config.Queue{"support": {Strategy: "longest-idle", Agents: []string{"a1002"}, RingTimeout: 15 * time.Second}}
		c.Tenants[0].AutoLogin = true
		c.Recording.Policy = "always"
		for _, o := range more {
			o(c)
		}
	})
}

// caller renders a SIPp caller into the IVR that waits talkMs, then for
// the PBX's BYE (the flow hangs up once the agent has).
func caller(t *testing.T, talkMs int) string {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), "uac_ivr.tmpl", struct {
		Steps []struct {
			Kind, Key string
			Ms        int
		}
		End    string
		WaitMs int
	}{[]struct {
		Kind, Key string
		Ms        int
	}{{Kind: "pause", Ms: talkMs}}, "wait_bye", 30000})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// The whole path: a SIPp caller into the queue, the OA hears call.ringing
// over the CTI, finds the customer by the caller's number and sends
// screenpop; the agent's own CTI client gets the card. After the call the
// OA's contact record links the CDR and the recording.
func TestScreenPopReachesTheAgentAndTheCallIsRecorded(t *testing.T) {
	p := hotlinePBX(t)
	o := startOA(t, p)
	sup := o.login(t, "supervisor1")
	var cust oa.Customer
	if code := o.do(t, "POST", "/api/v1/customers", sup, map[string]any{"name": "赵六", "vip": true, "tags": []string{"投注站主"},
		"phones": []map[string]string{{"number": "1001"}}}, &cust); code != 201 {
		t.Fatalf("create customer: %d", code)
	}
	var cat struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", sup, nil, &cat)
	var open oa.Ticket
	if code := o.do(t, "POST", "/api/v1/tickets", sup, map[string]any{"title": "终端卡纸", "category_id": cat.Items[0].ID, "customer_id": cust.ID}, &open); code != 201 {
		t.Fatalf("create ticket: %d", code)
	}
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })

	agent := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := agent.Subscribe(ctx, "agent:a1002"); err != nil {
		t.Fatal(err)
	}
	p.Callee(t, "1002", "127.0.41.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "2500"})
	done := make(chan *sipp.Result, 1)
	go func() { done <- p.Call(t, "1001", "127.0.41.1", caller(t, 500), "8000", nil) }()

	var ringAt, popAt time.Time
	var pop protocol.ScreenPop
	var callID string
	for pop.Call == "" {
		select {
		case ev := <-agent.Events():
			switch ev.Type {
			case protocol.EventCallRinging:
				var r protocol.CallRinging
				_ = ev.Decode(&r)
				callID, ringAt = r.Call, time.Now()
			case protocol.EventScreenPop:
				popAt = time.Now()
				if err := ev.Decode(&pop); err != nil {
					t.Fatal(err)
				}
			}
		case <-ctx.Done():
			t.Fatal("no screenpop reached the agent")
		}
	}
	t.Logf("screen pop %v after the ring reached the agent's client", popAt.Sub(ringAt))
	if ringAt.IsZero() || popAt.Sub(ringAt) > time.Second {
		t.Errorf("screen pop %v after the ring", popAt.Sub(ringAt))
	}
	if pop.Call != callID || pop.Agent != "a1002" || pop.Fields["customer"] != "赵六" || pop.Fields["vip"] != "true" ||
		pop.Fields["tickets"] != "1" || pop.Fields["outlet"] != "11010001" || pop.Fields["customer_id"] != strconv.FormatInt(cust.ID, 10) {
		t.Errorf("screen pop %+v", pop)
	}
	var card oa.Card
	if err := json.Unmarshal([]byte(pop.Fields["card"]), &card); err != nil || len(card.OpenTickets) != 1 || card.OpenTickets[0].ID != open.ID {
		t.Errorf("card %+v: %v", card, err)
	}
	if res := <-done; res.Check(1) != nil {
		t.Fatalf("caller: %v", res.Check(1))
	}
	// The contact record: one, answered, the CDR's id, the recording.
	var c oa.Contact
	eventually(t, 20*time.Second, "the contact record with its recording", func() bool {
		var page struct {
			Items []oa.Contact
			Total int
		}
		o.do(t, "GET", "/api/v1/contacts?customer_id="+strconv.FormatInt(cust.ID, 10), sup, nil, &page)
		if page.Total == 1 {
			c = page.Items[0]
		}
		return c.RecordingID != "" && c.EndedAt != 0
	})
	cdrs := p.CDRs(t, 1)
	if c.CallID != callID || c.CDRID != cdrs[0].ID || c.RecordingID != cdrs[0].ID || c.Kind != oa.ContactAnswered ||
		c.Agent != "a1002" || c.Queue != "support" || c.Vars["outlet"] != "11010001" || c.TalkS == 0 {
		t.Errorf("contact %+v, CDR %s", c, cdrs[0].ID)
	}
}

// The OA stopped mid-call and started again catches up from its cursor:
// the call's contact record appears once, complete. The PBX restarted: the
// OA reconnects on the hub's new epoch and records the next call too.
func TestOARestartMidCallAndPBXRestartLoseNothing(t *testing.T) {
	p := hotlinePBX(t)
	o := startOA(t, p)
	sup := o.login(t, "supervisor1")
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })
	p.Callee(t, "1002", "127.0.42.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "4000"})
	agent := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if _, err := agent.Subscribe(ctx, "agent:a1002"); err != nil {
		t.Fatal(err)
	}
	done := make(chan *sipp.Result, 1)
	go func() { done <- p.Call(t, "1001", "127.0.42.1", caller(t, 500), "8000", nil) }()
	for answered := false; !answered; {
		select {
		case ev := <-agent.Events():
			var st protocol.AgentState
			if ev.Type == protocol.EventAgentState && ev.Decode(&st) == nil {
				answered = st.State == "on_call"
			}
			answered = answered || ev.Type == protocol.EventCallAnswered
		case <-ctx.Done():
			t.Fatal("the call was not answered")
		}
	}
	o.stop(t) // mid-call: the end, the CDR and the recording happen while it is down
	if res := <-done; res.Check(1) != nil {
		t.Fatalf("caller: %v", res.Check(1))
	}
	time.Sleep(time.Second)
	o.start(t)
	sup = o.login(t, "supervisor1")
	contacts := func() []oa.Contact {
		var page struct{ Items []oa.Contact }
		o.do(t, "GET", "/api/v1/contacts", sup, nil, &page)
		return page.Items
	}
	eventually(t, 20*time.Second, "the call's contact record after the OA's restart", func() bool {
		l := contacts()
		return len(l) == 1 && l[0].EndedAt != 0 && l[0].RecordingID != ""
	})
	if l := contacts(); len(l) != 1 || l[0].Kind != oa.ContactAnswered || l[0].AnsweredAt == 0 {
		t.Fatalf("after the OA's restart: %+v", l)
	}
	before := o.LinkStats()["demo"]

	p.Restart(t)
	eventually(t, 20*time.Second, "the OA back on the restarted PBX", func() bool {
		s := o.LinkStats()["demo"]
		return s.Connected && s.Epoch != before.Epoch
	})
	p.Callee(t, "1002", "127.0.42.3", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500"})
	if res := p.Call(t, "1001", "127.0.42.1", caller(t, 500), "8000", nil); res.Check(1) != nil {
		t.Fatalf("second call: %v", res.Check(1))
	}
	eventually(t, 20*time.Second, "the second call's contact record", func() bool {
		l := contacts()
		return len(l) == 2 && l[0].EndedAt != 0
	})
	l := contacts()
	if l[0].CallID == l[1].CallID {
		t.Errorf("one call recorded twice: %+v", l)
	}
	if s := o.LinkStats()["demo"]; s.Connects < 2 {
		t.Errorf("link stats %+v", s)
	}
}
