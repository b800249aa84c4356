package admin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/yimen/yimen/tests/testpbx"
)

// endpoint is one admin API call of the privilege matrix.
type endpoint struct {
	name, method, path string
	body               func(who string) any
}

var matrixEndpoints = []endpoint{
	{"cdrs", "GET", "/api/v1/cdrs?tenant=demo", nil},
	{"cdrs-queue", "GET", "/api/v1/cdrs?tenant=demo&queue=q1", nil},
	{"cdrs-agent", "GET", "/api/v1/cdrs?tenant=demo&agent=a1", nil},
	{"cdrs-other", "GET", "/api/v1/cdrs?tenant=other", nil},
	{"calls", "GET", "/api/v1/calls?tenant=demo", nil},
	{"recordings", "GET", "/api/v1/recordings?tenant=demo", nil},
	{"recordings-queue", "GET", "/api/v1/recordings?tenant=demo&queue=q1", nil},
	{"registrations", "GET", "/api/v1/registrations?tenant=demo", nil},
	{"trunks", "GET", "/api/v1/trunks?tenant=demo", nil},
	{"trunks-other", "GET", "/api/v1/trunks?tenant=other", nil},
	{"secret", "POST", "/api/v1/tenants/demo/extensions/1003/secret", nil},
	{"secret-other", "POST", "/api/v1/tenants/other/extensions/2001/secret", nil},
	{"bans", "GET", "/api/v1/bans", nil},
	{"ban", "POST", "/api/v1/bans", func(string) any { return map[string]any{"ip": "192.0.2.9", "reason": "matrix", "seconds": 60} }},
	{"user-create", "POST", "/api/v1/tenants/demo/users", func(who string) any { return map[string]string{"name": "m-" + who} }},
	{"roles", "GET", "/api/v1/roles", nil},
	{"grant", "POST", "/api/v1/roles/qa/permissions", func(string) any { return map[string]string{"permission": "queue.read", "scope": "queue"} }},
	{"audit", "GET", "/api/v1/audit", nil},
	{"audit-export", "GET", "/api/v1/audit/export", nil},
	{"audit-verify", "GET", "/api/v1/audit/verify", nil},
	{"pprof", "GET", "/debug/pprof/", nil},
}

// allowed lists, per principal, the endpoints it may use and their status;
// everything else must be 403 (or 401 for the anonymous caller).
var allowed = map[string]map[string]int{
	"anonymous":  {},
	"breakglass": {"registrations": 200, "trunks": 200, "trunks-other": 200, "secret": 200, "secret-other": 200, "bans": 200, "ban": 201, "user-create": 201, "pprof": 200},
	"sysadmin":   {"registrations": 200, "trunks": 200, "trunks-other": 200, "secret": 200, "secret-other": 200, "bans": 200, "ban": 201, "user-create": 201, "pprof": 200},
	"secadmin":   {"roles": 200, "grant": 204},
	"auditor":    {"audit": 200, "audit-export": 200, "audit-verify": 200},
	// A supervisor of queue q1: only with the queue named, and CDRs carry no queue yet.
	"supervisor": {"cdrs-queue": 200, "recordings-queue": 200},
	// Agent a1 on extension 1001: only their own calls.
	"agent": {"cdrs-agent": 200},
	// The platform's integration token: business reads in every tenant, nothing else.
	"integration": {"cdrs": 200, "cdrs-queue": 200, "cdrs-agent": 200, "cdrs-other": 200, "calls": 200, "recordings": 200, "recordings-queue": 200},
	// Tenant other's administrators: their own tenant only, nothing platform-wide.
	"other-sysadmin": {"secret-other": 200, "trunks-other": 200},
	"other-auditor":  {"audit": 200, "audit-export": 200, "audit-verify": 200},
}

// TestPrivilegeMatrix runs every endpoint as every principal through the
// real HTTP API: vertical (each of the three separated administrators and
// the business roles) and horizontal (another tenant, another queue,
// another agent).
func TestPrivilegeMatrix(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, twoTenants)
	c := testpbx.NewClient(t, p, "")
	tokens := map[string]string{"anonymous": "", "breakglass": p.BreakGlass, "integration": p.AdminToken}
	for _, who := range []string{"sysadmin", "secadmin", "auditor"} {
		tokens[who] = c.Login("demo", who, p.Admins["demo/"+who])
		tokens["other-"+who] = c.Login("other", who, p.Admins["other/"+who])
	}
	supID, supTok := c.NewUser(tokens["sysadmin"], "demo", "sup1")
	agentID, agentTok := c.NewUser(tokens["sysadmin"], "demo", "agent1")
	c.Assign(tokens["secadmin"], supID, "supervisor", []string{"q1"}, "")
	c.Assign(tokens["secadmin"], agentID, "agent", nil, "a1")
	tokens["supervisor"], tokens["agent"] = supTok, agentTok

	whos := make([]string, 0, len(allowed))
	for who := range allowed {
		whos = append(whos, who)
	}
	slices.Sort(whos)
	var matrix []testpbx.Scenario
	for _, who := range whos {
		for _, e := range matrixEndpoints {
			want, ok := allowed[who][e.name]
			switch {
			case who == "anonymous":
				want = 401
			case !ok:
				want = 403
			}
			var body any
			if e.body != nil {
				body = e.body(who)
			}
			matrix = append(matrix, testpbx.Scenario{Name: who + "/" + e.name, Method: e.method, URL: e.path, Token: tokens[who], Body: body, Status: want})
		}
	}
	testpbx.Scenarios{Client: c}.Run(t, matrix...)

	// Horizontal: the other tenant's administrator lists its own trunks only.
	var own struct {
		Trunks []struct{ Tenant, Name string } `json:"trunks"`
	}
	c.Do("GET", "/api/v1/trunks", tokens["other-sysadmin"], nil, nil).JSON(t, &own)
	if len(own.Trunks) != 1 || own.Trunks[0].Tenant != "other" {
		t.Errorf("other tenant's administrator listed trunks %+v, want its own one", own.Trunks)
	}
	// Horizontal: the other tenant's auditor sees only that tenant's rows,
	// the platform auditor sees both.
	for _, row := range c.Audit(tokens["other-auditor"], "") {
		if row.Tenant != "other" {
			t.Fatalf("other tenant's auditor saw row %d of tenant %q", row.ID, row.Tenant)
		}
	}
	tenants := map[string]bool{}
	for _, row := range c.Audit(tokens["auditor"], "") {
		tenants[row.Tenant] = true
	}
	if !tenants["demo"] || !tenants["other"] {
		t.Errorf("platform auditor saw tenants %v, want demo and other", tenants)
	}
	// Denials are audited with who and what.
	denied := c.Audit(tokens["auditor"], "action=ban.create")
	if !slices.ContainsFunc(denied, func(r testpbx.AuditRow) bool { return r.Outcome == "denied" && r.Actor == supID }) {
		t.Errorf("the supervisor's denied ban is not in the audit log: %+v", denied)
	}
}

// TestSeparationOfDuties: the auditor changes nothing, the system
// administrator cannot read, alter or delete the audit log, and no one holds
// two administrator roles or grants themselves anything.
func TestSeparationOfDuties(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	supID, _ := c.NewUser(sys, "demo", "sup1")

	// The auditor cannot change a permission or a role, by any route; the
	// security administrator cannot edit the fixed administrator roles or
	// give an administrator permission to a business role.
	anyBody := map[string]any{"permission": "cdr.read", "scope": "tenant", "role": "auditor"}
	grant := func(perm string) map[string]string { return map[string]string{"permission": perm, "scope": "tenant"} }
	testpbx.Scenarios{Client: c, Auditor: aud}.Run(t,
		testpbx.Scenario{Name: "auditor grants", Method: "POST", URL: "/api/v1/roles/supervisor/permissions", Token: aud, Body: anyBody, Status: 403},
		testpbx.Scenario{Name: "auditor revokes", Method: "DELETE", URL: "/api/v1/roles/supervisor/permissions/cdr.read", Token: aud, Body: anyBody, Status: 403},
		testpbx.Scenario{Name: "auditor assigns", Method: "POST", URL: "/api/v1/users/" + supID + "/roles", Token: aud, Body: anyBody, Status: 403},
		testpbx.Scenario{Name: "auditor unassigns", Method: "DELETE", URL: "/api/v1/users/" + supID + "/roles/supervisor", Token: aud, Body: anyBody, Status: 403},
		testpbx.Scenario{Name: "secadmin edits auditor", Method: "POST", URL: "/api/v1/roles/auditor/permissions", Token: sec, Body: grant("cdr.read"), Status: 403},
		testpbx.Scenario{Name: "secadmin gives audit.read", Method: "POST", URL: "/api/v1/roles/supervisor/permissions", Token: sec, Body: grant("audit.read"), Status: 403},
		testpbx.Scenario{Name: "secadmin edits sysadmin", Method: "POST", URL: "/api/v1/roles/sysadmin/permissions", Token: sec, Body: grant("role.write"), Status: 403},
	)
	var me struct {
		UserID string `json:"user_id"`
	}
	c.Do("GET", "/api/v1/session", sys, nil, nil).JSON(t, &me)
	if r := c.Do("POST", "/api/v1/users/"+me.UserID+"/roles", sec, map[string]any{"role": "auditor"}, nil); r.Code != 403 {
		t.Errorf("second administrator role for sysadmin: %d, want 403", r.Code)
	}
	var secMe struct {
		UserID string `json:"user_id"`
	}
	c.Do("GET", "/api/v1/session", sec, nil, nil).JSON(t, &secMe)
	if r := c.Do("POST", "/api/v1/users/"+secMe.UserID+"/roles", sec, map[string]any{"role": "supervisor", "queues": []string{"q1"}}, nil); r.Code != 403 {
		t.Errorf("secadmin assigns itself a role: %d, want 403", r.Code)
	}

	// The system administrator can neither read nor change the audit log:
	// no route alters it, and the database refuses UPDATE and DELETE.
	for _, r := range []struct{ method, path string }{{"GET", "/api/v1/audit"}, {"GET", "/api/v1/audit/export"}, {"DELETE", "/api/v1/audit"}, {"PATCH", "/api/v1/audit"}} {
		if got := c.Do(r.method, r.path, sys, nil, nil); got.Code != 403 && got.Code != 405 {
			t.Errorf("sysadmin %s %s: %d, want 403 or 405", r.method, r.path, got.Code)
		}
	}
	for _, q := range []string{`UPDATE audit_log SET detail = 'rewritten' WHERE id = 1`, `DELETE FROM audit_log WHERE id = 1`, `DELETE FROM audit_log`} {
		if _, err := p.DB.SQL().ExecContext(t.Context(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only trigger to refuse", q, err)
		}
	}
	rep := c.VerifyAudit(aud)
	if !rep.OK {
		t.Errorf("audit chain after refused tampering: %+v", rep)
	}
}

// TestTamperedRolePermissionDeniesAndAlarms changes a role-permission row
// with raw SQL to widen a supervisor's scope: the forged row is refused, the
// request denied, and an alarm raised naming the row.
func TestTamperedRolePermissionDeniesAndAlarms(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	supID, sup := c.NewUser(sys, "demo", "sup1")
	c.Assign(sec, supID, "supervisor", []string{"q1"}, "")
	if r := c.Do("GET", "/api/v1/cdrs?tenant=demo&queue=q1", sup, nil, nil); r.Code != 200 {
		t.Fatalf("supervisor before tampering: %d %s", r.Code, r.Body)
	}
	if r := c.Do("GET", "/api/v1/cdrs?tenant=demo", sup, nil, nil); r.Code != 403 {
		t.Fatalf("supervisor, whole tenant, before tampering: %d, want 403", r.Code)
	}

	var rowID int64
	err := p.DB.SQL().QueryRowContext(t.Context(), `SELECT id FROM rbac_role_permissions WHERE tenant='demo' AND role='supervisor' AND permission='cdr.read'`).Scan(&rowID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DB.SQL().ExecContext(t.Context(), `UPDATE rbac_role_permissions SET scope='tenant' WHERE id=?`, rowID); err != nil {
		t.Fatal(err)
	}
	before := p.Metric(t, "yimen_security_alarms_total", map[string]string{"kind": "rbac_integrity"})
	for _, path := range []string{"/api/v1/cdrs?tenant=demo", "/api/v1/cdrs?tenant=demo&queue=q1"} {
		if r := c.Do("GET", path, sup, nil, nil); r.Code != 403 {
			t.Errorf("supervisor %s with a forged row: %d, want 403", path, r.Code)
		}
	}
	if got := p.Metric(t, "yimen_security_alarms_total", map[string]string{"kind": "rbac_integrity"}); got < before+1 {
		t.Errorf("alarms %v, want at least %v", got, before+1)
	}
	want := fmt.Sprintf("rbac_role_permissions#%d", rowID)
	rows := c.Audit(aud, "action=rbac.integrity")
	if !slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool { return r.Outcome == "alarm" && r.Target == want }) {
		t.Errorf("no alarm naming %s in the audit log: %+v", want, rows)
	}
}

// TestTamperedAuditRowIsNamedByVerify: whoever drops the append-only
// trigger and rewrites a row is caught by verify at that exact row.
func TestTamperedAuditRowIsNamedByVerify(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	for range 3 {
		c.TryLogin("demo", "sysadmin", "Wrong-Password-1")
	}
	rows := c.Audit(aud, "action=auth.login")
	var victim int64
	for _, r := range rows {
		if r.Outcome == "failed" {
			victim = r.ID
			break
		}
	}
	if victim == 0 {
		t.Fatalf("no failed login in the audit log: %+v", rows)
	}
	if rep := c.VerifyAudit(aud); !rep.OK {
		t.Fatalf("chain broken before tampering: %+v", rep)
	}
	db := p.DB.SQL()
	if _, err := db.ExecContext(t.Context(), `DROP TRIGGER audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `UPDATE audit_log SET outcome='ok', detail='password' WHERE id=?`, victim); err != nil {
		t.Fatal(err)
	}
	before := p.Metric(t, "yimen_security_alarms_total", map[string]string{"kind": "audit_chain"})
	rep := c.VerifyAudit(aud)
	if rep.OK || rep.BrokenRow != victim {
		t.Errorf("verify after rewriting row %d: %+v", victim, rep)
	}
	if got := p.Metric(t, "yimen_security_alarms_total", map[string]string{"kind": "audit_chain"}); got != before+1 {
		t.Errorf("audit_chain alarms %v, want %v", got, before+1)
	}
}
