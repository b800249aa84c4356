package system_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/tests/testpbx"
)

// Agents and queues of a running tenant change through the admin API:
// refusals name the field; an agent added and put in the queue takes the
// next SIPp caller at once; removed while on that call, the agent finishes
// it and is gone afterwards; the change survives a restart and is audited.
func TestAdminChangesAgentsAndQueuesLive(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	c := testpbx.NewClient(t, p, "127.0.168.1")
	sys := p.BreakGlass
	ctx := t.Context()

	const queue, agent = "/api/v1/tenants/demo/queues/support", "/api/v1/tenants/demo/agents/a1003"
	bad := func(name, url string, body map[string]any, field string) testpbx.Scenario {
		return testpbx.Scenario{Name: name, Method: "PUT", URL: url, Token: sys, Body: body, Status: 400,
			Contains: []string{`"field":"` + field + `"`}, Audit: []string{"acd." + map[bool]string{true: "queue", false: "agent"}[url == queue] + ".put"}}
	}
	testpbx.Scenarios{Client: c, Auditor: c.Login("demo", "auditor", p.Admins["demo/auditor"])}.Run(t,
		bad("unknown strategy", queue, map[string]any{"strategy": "loudest", "agents": []string{"a1002"}}, "strategy"),
		bad("unknown agent", queue, map[string]any{"agents": []string{"nobody"}}, "agents"),
		bad("bad wrap-up", queue, map[string]any{"agents": []string{"a1002"}, "wrap_up": "soon"}, "wrap_up"),
		bad("max wait without overflow", queue, map[string]any{"agents": []string{"a1002"}, "max_wait": "30s"}, "overflow"),
		bad("extension with a space", agent, map[string]any{"name": "Three", "extension": "10 03"}, "extension"),
		bad("extension of no tenant range", agent, map[string]any{"name": "Three", "extension": "2001"}, "extension"),
		bad("skill level over 100", agent, map[string]any{"name": "Three", "extension": "1003", "skills": map[string]int{"x": 500}}, "skills"),
		testpbx.Scenario{Name: "unauthenticated", Method: "PUT", URL: agent, Body: map[string]any{"name": "x", "extension": "1003"}, Status: 401},
		testpbx.Scenario{Name: "add agent", Method: "PUT", URL: agent, Token: sys, Body: map[string]any{"name": "Agent 1003", "extension": "1003"},
			Status: 201, Contains: []string{`"a1003"`}, Audit: []string{"acd.agent.put/ok"}},
		testpbx.Scenario{Name: "update queue", Method: "PUT", URL: queue, Token: sys,
			Body: map[string]any{"strategy": "longest-idle", "agents": []string{"a1003"}, "ring_timeout": "10s"}, Audit: []string{"acd.queue.put/ok"}},
	)

	// The new agent (logged in: the tenant auto-logs agents in) takes the call.
	p.Callee(t, "1003", "127.0.168.3", "uas_answer.xml", false, map[string]string{"hangup_ms": "4000", "play_pcap": "1"})
	done := make(chan error, 1)
	go func() {
		scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 7000}, {Kind: "dtmf", Key: "4"}}, "wait_bye")
		done <- p.Call(t, "1001", "127.0.168.2", scen, "8000", nil).Check(1)
	}()
	waitAgent(t, p, "a1003", func(st acd.AgentStatus, err error) bool { return err == nil && st.State == acd.OnCall })

	// Removed mid-call: the queue moves to a1002, a1003 finishes the call.
	if r := c.Do("PUT", "/api/v1/tenants/demo/queues/support", sys, map[string]any{"agents": []string{"a1002"}}, nil); r.Code != 200 {
		t.Fatalf("queue back to a1002: %d %s", r.Code, r.Body)
	}
	if r := c.Do("DELETE", "/api/v1/tenants/demo/agents/a1003", sys, nil, nil); r.Code != 204 {
		t.Fatalf("delete agent on a call: %d %s", r.Code, r.Body)
	}
	if st, err := p.Contact.ACD.Agent(ctx, "demo", "a1003"); err != nil || st.State != acd.OnCall {
		t.Fatalf("agent removed on a call: %+v %v, want still on the call", st, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("caller: %v", err)
	}
	if c := lastCDR(t, p, 1); c.Disposition != "answered" || c.B.PacketsIn < 50 {
		t.Errorf("CDR = %+v, want answered with the agent's audio", c)
	}
	waitAgent(t, p, "a1003", func(_ acd.AgentStatus, err error) bool { return errors.Is(err, errs.ErrNotFound) })

	// A change the configuration file does not have survives a restart.
	if r := c.Do("PUT", "/api/v1/tenants/demo/agents/a1004", sys, map[string]any{"name": "Agent 1004", "extension": "1004",
		"skills": map[string]int{"general": 80}}, nil); r.Code != 201 {
		t.Fatalf("add agent: %d %s", r.Code, r.Body)
	}
	p.Restart(t)
	c = testpbx.NewClient(t, p, "127.0.168.1")
	var agents []struct {
		ID        string         `json:"id"`
		Extension string         `json:"extension"`
		Skills    map[string]int `json:"skills"`
	}
	r := c.Do("GET", "/api/v1/tenants/demo/agents", sys, nil, nil)
	r.JSON(t, &agents)
	ids := make([]string, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	if r.Code != 200 || !slices.Equal(ids, []string{"a1002", "a1001", "a1009", "a1004"}) || agents[3].Skills["general"] != 80 {
		t.Fatalf("agents after restart: %d %s", r.Code, r.Body)
	}
	var queues []struct {
		ID          string   `json:"id"`
		Agents      []string `json:"agents"`
		RingTimeout string   `json:"ring_timeout"`
	}
	r = c.Do("GET", "/api/v1/tenants/demo/queues", sys, nil, nil)
	r.JSON(t, &queues)
	if len(queues) != 1 || !slices.Equal(queues[0].Agents, []string{"a1002"}) || queues[0].RingTimeout != "15s" {
		t.Fatalf("queues after restart: %s", r.Body)
	}

	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	rows := c.Audit(aud, "")
	for _, want := range []string{"acd.agent.put", "acd.queue.put", "acd.agent.delete"} {
		if !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool { return r.Action == want && r.Outcome == "ok" }) {
			t.Errorf("no %s in the audit log", want)
		}
	}
}

// waitAgent polls the ACD for up to 10 s until ok holds for the agent.
func waitAgent(t *testing.T, p *testpbx.PBX, id string, ok func(acd.AgentStatus, error) bool) {
	t.Helper()
	var st acd.AgentStatus
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st, err = p.Contact.ACD.Agent(t.Context(), "demo", id); ok(st, err) {
			return
		}
	}
	t.Fatalf("agent %s: %+v %v", id, st, err)
}
