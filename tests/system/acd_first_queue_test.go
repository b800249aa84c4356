package system_test

import (
	"testing"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/tests/testpbx"
)

// A tenant configured without any queue still has a contact centre: its
// first agent and queue can be added through the admin API and are live.
func TestFirstQueueOfATenantThroughTheAPI(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "127.0.131.1")
	sys := p.BreakGlass
	if r := c.Do("GET", "/api/v1/tenants/demo/queues", sys, nil, nil); r.Code != 200 || string(r.Body) != "[]\n" && string(r.Body) != "[]" {
		t.Fatalf("queues of a tenant configured without any: %d %q", r.Code, r.Body)
	}
	if r := c.Do("PUT", "/api/v1/tenants/demo/agents/a1", sys, map[string]any{"name": "First", "extension": "1001"}, nil); r.Code != 201 {
		t.Fatalf("add agent: %d %s", r.Code, r.Body)
	}
	if r := c.Do("PUT", "/api/v1/tenants/demo/queues/hotline", sys, map[string]any{"strategy": "longest-idle", "agents": []string{"a1"}}, nil); r.Code != 201 && r.Code != 200 {
		t.Fatalf("add queue: %d %s", r.Code, r.Body)
	}
	var queues []struct {
		ID     string   `json:"id"`
		Agents []string `json:"agents"`
	}
	r := c.Do("GET", "/api/v1/tenants/demo/queues", sys, nil, nil)
	r.JSON(t, &queues)
	if len(queues) != 1 || queues[0].ID != "hotline" || len(queues[0].Agents) != 1 || queues[0].Agents[0] != "a1" {
		t.Fatalf("queues after adding one: %s", r.Body)
	}
	// The CTI is there too, and the new agent can be logged in through it.
	cl := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := cl.Subscribe(t.Context(), "tenant"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Login(t.Context(), "a1"); err != nil {
		t.Fatalf("log in the new agent: %v", err)
	}
	waitEvent(t, cl, protocol.EventAgentState, map[string]any{"agent": "a1"})
}
