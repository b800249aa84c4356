package system_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// TestNoPersonalDataOrSecretsInClearOnDisk places calls (one to a mobile
// number), rotates a SIP secret to a known value and uses every kind of
// credential, then scans every byte of the database files: no phone
// number, SIP secret, password or token may appear. The API still finds the
// call by the number (blind index) and shows it to an authorized reader.
func TestNoPersonalDataOrSecretsInClearOnDisk(t *testing.T) {
	t.Parallel()
	const mobile = "13912345678"
	const migrated = "Scan-Secret-Value-77"
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.61.2", "uas_answer.xml", true, nil)
	if err := p.Call(t, "1001", "127.0.61.1", expectScenario(t, 404, ""), mobile, nil).Check(1); err != nil {
		t.Fatal(err)
	}
	if err := p.Call(t, "1001", "127.0.61.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "500"}).Check(1); err != nil {
		t.Fatal(err)
	}
	if len(p.CDRs(t, 2)) < 2 {
		t.Fatal("CDRs not written")
	}
	c := testpbx.NewClient(t, p, "")
	code, body := p.Admin(t, "GET", "/api/v1/cdrs?tenant=demo&number="+mobile, nil)
	var found []struct {
		Callee string `json:"callee"`
	}
	if code != 200 || json.Unmarshal(body, &found) != nil || len(found) != 1 || found[0].Callee != mobile {
		t.Fatalf("CDR lookup by number: %d %s", code, body)
	}
	if r := c.Do("POST", "/api/v1/tenants/demo/extensions/1003/secret", p.BreakGlass, map[string]string{"secret": migrated}, nil); r.Code != 200 {
		t.Fatalf("rotate: %d %s", r.Code, r.Body)
	}
	sessionTok := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])

	secrets := map[string]string{"phone number": mobile, "migrated SIP secret": migrated, "break-glass token": p.BreakGlass,
		"API token": p.AdminToken, "session token": sessionTok}
	for ext, s := range p.Secrets {
		secrets["SIP secret of "+ext] = s
	}
	for who, pw := range p.Admins {
		secrets["password of "+who] = pw
	}
	files, err := filepath.Glob(filepath.Join(p.Dir, "yimen.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("database files: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s found in clear in %s", what, filepath.Base(f))
			}
		}
	}
	t.Logf("scanned %d database files for %d values", len(files), len(secrets))
}

// TestAuditTrailOfAdminActions: logins and their failures, logouts,
// permission changes, ban changes, secret rotations, exports and reads of
// call records all land in the audit log with who did them, the chain
// verifies, and no entry holds the number that was searched for.
func TestAuditTrailOfAdminActions(t *testing.T) {
	t.Parallel()
	const mobile = "13987654321"
	p := testpbx.Start(t)
	c := testpbx.NewClient(t, p, "")
	c.TryLogin("demo", "sysadmin", "Wrong-Password-1")
	// A password alone logs an administrator in (to a session that may
	// only enrol a second factor); the harness's logins add the SM2 key.
	if code := c.TryLogin("demo", "sysadmin", p.Admins["demo/sysadmin"]); code != 200 {
		t.Fatalf("password login: %d", code)
	}
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	// Each action, and the audit entry it must add.
	testpbx.Scenarios{Client: c, Auditor: aud}.Run(t,
		testpbx.Scenario{Name: "grant", Method: "POST", URL: "/api/v1/roles/qa/permissions", Token: sec,
			Body: map[string]string{"permission": "queue.read", "scope": "queue"}, Status: 204, Audit: []string{"rbac.permission.grant/ok"}},
		testpbx.Scenario{Name: "revoke", Method: "DELETE", URL: "/api/v1/roles/qa/permissions/queue.read", Token: sec, Status: 204,
			Audit: []string{"rbac.permission.revoke/ok"}},
		testpbx.Scenario{Name: "ban", Method: "POST", URL: "/api/v1/bans", Token: sys,
			Body: map[string]any{"ip": "192.0.2.7", "reason": "audit", "seconds": 60}, Status: 201, Contains: []string{"192.0.2.7"}, Audit: []string{"ban.create/ok"}},
		testpbx.Scenario{Name: "lift", Method: "DELETE", URL: "/api/v1/bans/192.0.2.7", Token: sys, Status: 204, Audit: []string{"ban.lift/ok"}},
		testpbx.Scenario{Name: "rotate", Method: "POST", URL: "/api/v1/tenants/demo/extensions/1004/secret", Token: sys, Audit: []string{"sip.secret.rotate/ok"}},
		testpbx.Scenario{Name: "cdrs by number", URL: "/api/v1/cdrs?tenant=demo&number=" + mobile, Token: p.AdminToken, Audit: []string{"cdr.read/ok"}},
		testpbx.Scenario{Name: "recordings", URL: "/api/v1/recordings?tenant=demo", Token: p.AdminToken, Audit: []string{"recording.search/ok"}},
		testpbx.Scenario{Name: "export", URL: "/api/v1/audit/export", Token: aud, Audit: []string{"audit.export/ok"}},
		testpbx.Scenario{Name: "logout", Method: "POST", URL: "/api/v1/logout", Token: sys, Status: 204, Audit: []string{"auth.logout/ok"}},
	)
	rows := c.Audit(aud, "")
	has := func(action, outcome string) bool {
		return slices.ContainsFunc(rows, func(r testpbx.AuditRow) bool { return r.Action == action && r.Outcome == outcome })
	}
	for _, want := range []struct{ action, outcome string }{
		{"config.load", "ok"}, {"auth.login", "failed"}, {"auth.login", "ok"}, {"auth.login.sm2", "ok"}, {"auth.logout", "ok"},
		{"rbac.permission.grant", "ok"}, {"rbac.permission.revoke", "ok"}, {"ban.create", "ok"}, {"ban.lift", "ok"},
		{"sip.secret.rotate", "ok"}, {"cdr.read", "ok"}, {"recording.search", "ok"}, {"audit.export", "ok"},
	} {
		if !has(want.action, want.outcome) {
			t.Errorf("no %s/%s entry in the audit log", want.action, want.outcome)
		}
	}
	for _, r := range rows {
		if strings.Contains(r.Detail, mobile) || strings.Contains(r.Target, mobile) {
			t.Errorf("audit row %d holds the searched number: %+v", r.ID, r)
		}
		if r.Action == "sip.secret.rotate" && r.Actor == "" {
			t.Errorf("secret rotation without an actor: %+v", r)
		}
	}
	if rep := c.VerifyAudit(aud); !rep.OK || rep.Rows < len(rows) {
		t.Errorf("verify: %+v for %d rows", rep, len(rows))
	}
}
