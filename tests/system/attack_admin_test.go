package system_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// tenantsWithSameAgent configures a second tenant, "other", in which agent
// a1001 exists as it does in demo (the platform tenant): an agent id names
// nothing across tenants.
func tenantsWithSameAgent(c *config.Config) {
	c.Tenants[0].Domains = []string{testpbx.Host(c), "demo.test"}
	c.Tenants[0].Agents = []config.Agent{{ID: "a1001", Name: "Demo One", Extension: "1001"}, {ID: "a1002", Name: "Demo Two", Extension: "1002"}}
	c.Tenants = append(c.Tenants, config.Tenant{Name: "other", Domains: []string{"other.test"}, Extensions: []string{"2001-2002"},
		Agents: []config.Agent{{ID: "a1001", Name: "Other One", Extension: "2001"}}})
	c.Admin.TenantAdmins = true
}

// roleUser creates a user of the platform tenant (demo) and gives it
// role, bound to queues or to an agent.
func roleUser(t *testing.T, c *testpbx.Client, p *testpbx.PBX, name, role string, queues []string, agent string) string {
	t.Helper()
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	id, tok := c.NewUser(sys, "demo", name)
	c.Assign(sec, id, role, queues, agent)
	return tok
}

// The platform tenant's business users (an agent bound to a1001, a
// supervisor and a QA bound to queue q1) name another tenant in the query,
// with their own agent id or queue, as an agent of the platform tenant did
// to read tenant acme's CDRs: the guard used to check the platform grant's
// queue or agent id and let the handler filter by the tenant the query
// named. A queue or agent id names nothing across tenants; only a
// tenant-wide grant reaches another tenant.
func TestAttackPlatformBusinessUsersReadOtherTenant(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, tenantsWithSameAgent)
	c := testpbx.NewClient(t, p, "")
	users := map[string]struct {
		token string
		scope string // the query part naming their own agent or queue
	}{
		"agent":      {roleUser(t, c, p, "agent-a1001", "agent", nil, "a1001"), "agent=a1001"},
		"supervisor": {roleUser(t, c, p, "sup-q1", "supervisor", []string{"q1"}, ""), "queue=q1"},
		"qa":         {roleUser(t, c, p, "qa-q1", "qa", []string{"q1"}, ""), "queue=q1"},
	}
	var matrix []testpbx.Scenario
	for who, u := range users {
		for _, path := range []string{"/api/v1/cdrs", "/api/v1/recordings", "/api/v1/qa/tasks", "/api/v1/qa/scores"} {
			matrix = append(matrix,
				testpbx.Scenario{Name: who + " other " + path, URL: path + "?tenant=other&" + u.scope, Token: u.token, Status: 403},
				testpbx.Scenario{Name: who + " own " + path, URL: path + "?tenant=demo&" + u.scope, Token: u.token, Status: 200})
		}
		// Without a tenant the listing keeps to the caller's own, where it
		// used to span every tenant for a platform principal.
		matrix = append(matrix, testpbx.Scenario{Name: who + " no tenant", URL: "/api/v1/cdrs?" + u.scope, Token: u.token, Status: 200})
	}
	// The platform's integration token holds tenant-wide grants: it still
	// reads every tenant.
	matrix = append(matrix, testpbx.Scenario{Name: "integration other", URL: "/api/v1/cdrs?tenant=other&agent=a1001", Token: p.AdminToken, Status: 200})
	testpbx.Scenarios{Client: c}.Run(t, matrix...)
}

// callRecordings makes two recorded calls in demo (1001→1002, 1001→1003),
// gives their recordings agents a1002 and a1003 and a queue each (q1, q2),
// and returns the recordings' ids by agent.
func callRecordings(t *testing.T, p *testpbx.PBX, c *testpbx.Client, net string) map[string]string {
	t.Helper()
	p.Callee(t, "1002", net+"2", "uas_answer.xml", true, nil)
	p.Callee(t, "1003", net+"3", "uas_answer.xml", true, nil)
	for _, to := range []string{"1002", "1003"} {
		if err := p.Call(t, "1001", net+"1", sipp.Scenario("uac_call.xml"), to, map[string]string{"talk_ms": "500"}).Check(1); err != nil {
			t.Fatal(err)
		}
	}
	var recs []struct {
		ID     string `json:"id"`
		Callee string `json:"callee"`
		State  string `json:"state"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r := c.Do("GET", "/api/v1/recordings?tenant=demo", p.AdminToken, nil, nil)
		if r.Code != 200 {
			t.Fatalf("recordings: %d %s", r.Code, r.Body)
		}
		r.JSON(t, &recs)
		if len(recs) == 2 && recs[0].State == "complete" && recs[1].State == "complete" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recordings never completed: %+v", recs)
		}
	}
	ids := map[string]string{}
	for _, rec := range recs {
		agent, queue := "a"+rec.Callee, map[string]string{"1002": "q1", "1003": "q2"}[rec.Callee]
		if r := c.Do("PATCH", "/api/v1/recordings/"+rec.ID, p.AdminToken, map[string]string{"agent": agent, "queue": queue}, nil); r.Code != 200 && r.Code != 204 {
			t.Fatalf("annotate %s: %d %s", rec.ID, r.Code, r.Body)
		}
		ids[agent] = rec.ID
	}
	return ids
}

// An agent scoped to itself asked for its own QA scores and got every
// agent's: the route authorized agent=a1002 and the handler ignored it. A
// supervisor bound to q1 likewise got every queue's tasks.
func TestAttackOwnScopedAgentListsEveryonesQAScores(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, tenantsWithSameAgent, func(c *config.Config) {
		c.Tenants[0].Agents = append(c.Tenants[0].Agents, config.Agent{ID: "a1003", Name: "Demo Three", Extension: "1003"})
		c.Recording.Policy = "always"
	})
	c := testpbx.NewClient(t, p, "")
	ids := callRecordings(t, p, c, "127.0.213.")
	if r := c.Do("POST", "/api/v1/qa/rules", p.AdminToken, map[string]any{"tenant": "demo", "name": "all", "kind": "sample", "percent": 100, "enabled": true}, nil); r.Code != 201 {
		t.Fatalf("add rule: %d %s", r.Code, r.Body)
	}
	now := time.Now()
	for _, day := range []time.Time{now.AddDate(0, 0, -1), now, now.AddDate(0, 0, 1)} {
		if r := c.Do("POST", "/api/v1/qa/generate", p.AdminToken, map[string]string{"tenant": "demo", "day": day.Format(time.DateOnly)}, nil); r.Code != 200 {
			t.Fatalf("generate: %d %s", r.Code, r.Body)
		}
	}
	agentTok := roleUser(t, c, p, "agent-a1002", "agent", nil, "a1002")
	supTok := roleUser(t, c, p, "sup-q1", "supervisor", []string{"q1"}, "")

	var scores []struct {
		Agent string `json:"agent"`
		Tasks int    `json:"tasks"`
	}
	if r := c.Do("GET", "/api/v1/qa/scores?tenant=demo", p.AdminToken, nil, nil); r.Code != 200 {
		t.Fatalf("scores: %d %s", r.Code, r.Body)
	} else if r.JSON(t, &scores); len(scores) != 2 {
		t.Fatalf("the tenant's scores = %+v, want a1002's and a1003's", scores)
	}
	r := c.Do("GET", "/api/v1/qa/scores?tenant=demo&agent=a1002", agentTok, nil, nil)
	if r.Code != 200 {
		t.Fatalf("agent's own scores: %d %s", r.Code, r.Body)
	}
	r.JSON(t, &scores)
	if len(scores) != 1 || scores[0].Agent != "a1002" || scores[0].Tasks != 1 {
		t.Errorf("agent a1002 listed scores %+v, want only its own one task", scores)
	}
	var tasks []struct {
		Agent       string `json:"agent"`
		RecordingID string `json:"recording_id"`
	}
	for who, q := range map[string]struct{ token, query, want string }{
		"agent":      {agentTok, "agent=a1002", ids["a1002"]},
		"supervisor": {supTok, "queue=q1", ids["a1002"]},
	} {
		r := c.Do("GET", "/api/v1/qa/tasks?tenant=demo&"+q.query, q.token, nil, nil)
		if r.Code != 200 {
			t.Fatalf("%s's tasks: %d %s", who, r.Code, r.Body)
		}
		r.JSON(t, &tasks)
		if len(tasks) != 1 || tasks[0].RecordingID != q.want {
			t.Errorf("%s (%s) listed tasks %+v, want only recording %s's", who, q.query, tasks, q.want)
		}
	}
	r = c.Do("GET", "/api/v1/qa/scores?tenant=demo&queue=q1", supTok, nil, nil)
	if r.JSON(t, &scores); r.Code != 200 || len(scores) != 1 || scores[0].Agent != "a1002" {
		t.Errorf("supervisor of q1 listed scores %d %+v, want only q1's agent a1002", r.Code, scores)
	}
	// A QA user bound to q1 scores q1's task, and no other queue's.
	var all []struct {
		ID          int64  `json:"id"`
		RecordingID string `json:"recording_id"`
	}
	if r := c.Do("GET", "/api/v1/qa/tasks?tenant=demo", p.AdminToken, nil, nil); r.Code != 200 {
		t.Fatalf("tasks: %d %s", r.Code, r.Body)
	} else if r.JSON(t, &all); len(all) != 2 {
		t.Fatalf("tasks = %+v, want two", all)
	}
	qaTok := roleUser(t, c, p, "qa-q1", "qa", []string{"q1"}, "")
	for _, task := range all {
		want := 403
		if task.RecordingID == ids["a1002"] {
			want = 200
		}
		r := c.Do("PATCH", fmt.Sprintf("/api/v1/qa/tasks/%d", task.ID), qaTok, map[string]any{"score": 90}, nil)
		if r.Code != want {
			t.Errorf("QA of q1 scoring the task of recording %s: %d %s, want %d", task.RecordingID, r.Code, r.Body, want)
		}
	}
}

// A masked number is confirmed in full by searching recordings with
// caller=<guess>: the blind index matches exactly. Only whoever may read
// the same calls' CDRs (which show the number) may search by it; a role
// with recording.read alone is refused, and the refusal is audited.
func TestAttackCallerSearchConfirmsMaskedNumber(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *config.Config) { c.Recording.Policy = "always" })
	c := testpbx.NewClient(t, p, "")
	p.Callee(t, "1002", "127.0.213.12", "uas_answer.xml", true, nil)
	if err := p.Call(t, "1001", "127.0.213.11", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "500"}).Check(1); err != nil {
		t.Fatal(err)
	}
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	if r := c.Do("POST", "/api/v1/roles/listener/permissions", sec, map[string]string{"permission": "recording.read", "scope": "tenant"}, nil); r.Code != 204 {
		t.Fatalf("grant recording.read to listener: %d %s", r.Code, r.Body)
	}
	listener := roleUser(t, c, p, "listener1", "listener", nil, "")

	var found []struct {
		Caller string `json:"caller"`
	}
	for deadline := time.Now().Add(10 * time.Second); len(found) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the recording never showed")
		}
		r := c.Do("GET", "/api/v1/recordings?tenant=demo", listener, nil, nil)
		if r.Code != 200 {
			t.Fatalf("listener's search: %d %s", r.Code, r.Body)
		}
		r.JSON(t, &found)
	}
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	testpbx.Scenarios{Client: c, Auditor: aud}.Run(t,
		testpbx.Scenario{Name: "listener guesses the number", URL: "/api/v1/recordings?tenant=demo&caller=1001", Token: listener, Status: 403,
			Audit: []string{"recording.read/denied"}},
		testpbx.Scenario{Name: "listener guesses wrong", URL: "/api/v1/recordings?tenant=demo&caller=1009", Token: listener, Status: 403},
		testpbx.Scenario{Name: "CDR reader searches", URL: "/api/v1/recordings?tenant=demo&caller=1001", Token: p.AdminToken, Contains: []string{`"id":`},
			Audit: []string{"recording.search/ok"}},
	)
}

// A supervisor watching the tenant's calls read the relay's RTP addresses
// from GET /api/v1/calls; RTP aimed at them competes with the phones'.
// They are shown to the platform's config.read holders only.
func TestAttackSupervisorReadsRelayPorts(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	if r := c.Do("POST", "/api/v1/roles/wallboard/permissions", sec, map[string]string{"permission": "call.monitor", "scope": "tenant"}, nil); r.Code != 204 {
		t.Fatalf("grant call.monitor to wallboard: %d %s", r.Code, r.Body)
	}
	sup := roleUser(t, c, p, "sup-all", "wallboard", nil, "")
	p.Callee(t, "1002", "127.0.213.22", "uas_answer.xml", true, nil)
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.213.21", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "3000"})
	}()
	var relay string
	for deadline := time.Now().Add(10 * time.Second); relay == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if calls := p.Server.Calls(); len(calls) == 1 && calls[0].State == "answered" {
			relay = calls[0].CallerRTP
		}
	}
	if relay == "" {
		t.Fatal("the call never came up")
	}
	for who, tok := range map[string]string{"supervisor": sup, "integration": p.AdminToken} {
		r := c.Do("GET", "/api/v1/calls?tenant=demo", tok, nil, nil)
		var calls []map[string]any
		if r.Code != 200 || json.Unmarshal(r.Body, &calls) != nil || len(calls) != 1 {
			t.Fatalf("%s: calls %d %s", who, r.Code, r.Body)
		}
		if _, ok := calls[0]["caller_rtp"]; ok || strings.Contains(string(r.Body), relay) {
			t.Errorf("%s sees the relay address %s: %s", who, relay, r.Body)
		}
		if _, ok := calls[0]["callee_rtp"]; ok {
			t.Errorf("%s sees callee_rtp: %s", who, r.Body)
		}
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
}
