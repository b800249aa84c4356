package rbac

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
)

type who struct{ id, tenant string }

func (w who) PrincipalID() string     { return w.id }
func (w who) PrincipalTenant() string { return w.tenant }

type spy struct {
	mu      sync.Mutex
	entries []audit.Entry
	alarms  []Alarm
}

func (s *spy) Append(_ context.Context, e audit.Entry) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = append(s.entries, e)
	return int64(len(s.entries)), nil
}

type fixture struct {
	svc *Service
	db  *store.DB
	spy *spy
}

// users of tenant t1 (and one agent of t2), one per role.
var people = map[string]struct {
	role string
	b    Binding
}{
	"u-sys": {RoleSysAdmin, Binding{}},
	"u-sec": {RoleSecAdmin, Binding{}},
	"u-aud": {RoleAuditor, Binding{}},
	"u-ag1": {RoleAgent, Binding{Agent: "1001"}},
	"u-ag2": {RoleAgent, Binding{Agent: "1002"}},
	"u-sup": {RoleSupervisor, Binding{Queues: []string{"q1", "q3"}}},
	"u-qa":  {RoleQA, Binding{Queues: []string{"q1"}}},
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, _ := keys.ParseMasterKey(keys.GenerateMasterKey())
	km, _ := keys.Open(ctx, db, master, nil)
	ring, err := km.Keyring(ctx, "rbac.tag")
	if err != nil {
		t.Fatal(err)
	}
	sp := &spy{}
	svc, err := New(ctx, Deps{DB: db, Keys: ring, Audit: sp, Alarm: func(_ context.Context, a Alarm) {
		sp.mu.Lock()
		sp.alarms = append(sp.alarms, a)
		sp.mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range []string{"t1", "t2"} {
		if err := svc.SeedTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	for id, p := range people {
		if err := svc.AssignRole(ctx, nil, id, "t1", p.role, p.b); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.AssignRole(ctx, nil, "u-t2ag", "t2", RoleAgent, Binding{Agent: "1001"}); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, spy: sp}
}

func grantScope(role, perm string) (string, bool) {
	for _, g := range DefaultGrants(role) {
		if g.Permission == perm {
			return g.Scope, true
		}
	}
	return "", false
}

// TestPrivilegeMatrix checks every role against every permission in its own
// scope (vertical), and every granted permission against another tenant,
// another queue and another agent (horizontal).
func TestPrivilegeMatrix(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for id, p := range people {
		me := who{id, "t1"}
		own := p.b.Agent
		if own == "" {
			own = "1001"
		}
		for _, perm := range Permissions() {
			scope, granted := grantScope(p.role, perm)
			home := Scope{Tenant: "t1", Queue: "q1", Agent: own}
			if got := f.svc.Can(ctx, me, perm, home); got != granted {
				t.Errorf("vertical: %s (%s) %s = %v, want %v", id, p.role, perm, got, granted)
			}
			if !granted {
				continue
			}
			cases := []struct {
				name string
				sc   Scope
				want bool
			}{
				{"other tenant", Scope{Tenant: "t2", Queue: "q1", Agent: own}, false},
				{"other queue, other agent", Scope{Tenant: "t1", Queue: "q2", Agent: "9999"}, scope == ScopeTenant},
				{"same queue, other agent", Scope{Tenant: "t1", Queue: "q1", Agent: "9999"}, scope != ScopeOwn},
				{"other queue, own agent", Scope{Tenant: "t1", Queue: "q2", Agent: own}, scope != ScopeQueue},
				{"no queue, no agent", Scope{Tenant: "t1"}, scope == ScopeTenant},
			}
			for _, c := range cases {
				if got := f.svc.Can(ctx, me, perm, c.sc); got != c.want {
					t.Errorf("horizontal %s: %s (%s) %s = %v, want %v", c.name, id, p.role, perm, got, c.want)
				}
			}
		}
	}
	// The sentences, spelled out.
	ag1, sup := who{"u-ag1", "t1"}, who{"u-sup", "t1"}
	if f.svc.Can(ctx, ag1, PermRecordingRead, Scope{Tenant: "t1", Queue: "q1", Agent: "1002"}) {
		t.Error("agent reads another agent's recording")
	}
	if f.svc.Can(ctx, who{"u-t2ag", "t2"}, PermCDRRead, Scope{Tenant: "t1", Queue: "q1", Agent: "1001"}) {
		t.Error("agent of t2 reads a t1 CDR with the same agent id")
	}
	if !f.svc.Can(ctx, sup, PermCDRRead, Scope{Queue: "q3", Agent: "1002"}) || f.svc.Can(ctx, sup, PermCDRRead, Scope{Queue: "q2", Agent: "1002"}) {
		t.Error("supervisor must see q1 and q3, not q2")
	}
	for _, adm := range []string{"u-sys", "u-sec", "u-aud"} {
		if f.svc.Can(ctx, who{adm, "t1"}, PermCDRRead, Scope{Queue: "q1", Agent: "1001"}) || f.svc.Can(ctx, who{adm, "t1"}, PermRecordingRead, Scope{Queue: "q1", Agent: "1001"}) {
			t.Errorf("%s reads business data", adm)
		}
	}
	if f.svc.Can(ctx, who{"u-sys", "t1"}, PermAuditRead, Scope{}) || f.svc.Can(ctx, who{"u-sec", "t1"}, PermAuditRead, Scope{}) {
		t.Error("sysadmin or secadmin reads audit")
	}
	if f.svc.Can(ctx, who{"nobody", "t1"}, PermCDRRead, Scope{Queue: "q1", Agent: "1001"}) || f.svc.Can(ctx, nil, PermCDRRead, Scope{}) {
		t.Error("principal without roles allowed")
	}
}

func TestSeparationOfDuties(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sec, sys, aud := who{"u-sec", "t1"}, who{"u-sys", "t1"}, who{"u-aud", "t1"}
	// Only secadmin changes permissions.
	for _, actor := range []who{sys, aud, {"u-sup", "t1"}} {
		if err := f.svc.GrantPermission(ctx, actor, "t1", RoleAgent, PermQueueRead, ScopeOwn); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s granted a permission: %v", actor.id, err)
		}
		if err := f.svc.RevokePermission(ctx, actor, "t1", RoleAgent, PermCDRRead); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s revoked a permission: %v", actor.id, err)
		}
		if err := f.svc.AssignRole(ctx, actor, "u-new", "t1", RoleAgent, Binding{Agent: "1003"}); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s assigned a role: %v", actor.id, err)
		}
	}
	if err := f.svc.GrantPermission(ctx, sec, "t1", RoleAgent, PermQueueRead, ScopeOwn); err != nil {
		t.Fatalf("secadmin grant: %v", err)
	}
	if !f.svc.Can(ctx, who{"u-ag1", "t1"}, PermQueueRead, Scope{Agent: "1001"}) {
		t.Fatal("granted permission not effective")
	}
	// secadmin in t1 has no say in t2.
	if err := f.svc.GrantPermission(ctx, sec, "t2", RoleAgent, PermQueueRead, ScopeOwn); !errors.Is(err, errs.ErrForbidden) {
		t.Fatal("secadmin of t1 changed t2")
	}
	// Administrator roles and permissions stay separate.
	for _, c := range []struct{ role, perm string }{
		{RoleQA, PermAuditRead}, {RoleSupervisor, PermRoleWrite}, {RoleAgent, PermUserWrite},
		{RoleSecAdmin, PermCDRRead}, {RoleAuditor, PermConfigWrite}, {RoleSysAdmin, PermAuditExport},
	} {
		if err := f.svc.GrantPermission(ctx, sec, "t1", c.role, c.perm, ScopeTenant); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("grant %s to %s: %v", c.perm, c.role, err)
		}
	}
	if err := f.svc.RevokePermission(ctx, sec, "t1", RoleAuditor, PermAuditRead); !errors.Is(err, errs.ErrForbidden) {
		t.Error("secadmin edited the auditor role")
	}
	if err := f.svc.AssignRole(ctx, sec, "u-sec", "t1", RoleAgent, Binding{Agent: "1009"}); !errors.Is(err, errs.ErrForbidden) {
		t.Error("secadmin assigned himself a role")
	}
	if err := f.svc.AssignRole(ctx, sec, "u-sys", "t1", RoleAuditor, Binding{}); !errors.Is(err, errs.ErrForbidden) {
		t.Error("sysadmin also made auditor")
	}
	if err := f.svc.AssignRole(ctx, sec, "u-ag1", "t1", RoleSysAdmin, Binding{}); !errors.Is(err, errs.ErrForbidden) {
		t.Error("an agent also made sysadmin")
	}
	if err := f.svc.AssignRole(ctx, sec, "u-ag1", "t1", RoleQA, Binding{Queues: []string{"q2"}}); err != nil {
		t.Errorf("business roles combine: %v", err)
	}
	denied := 0
	for _, e := range f.spy.entries {
		if strings.HasPrefix(e.Action, "rbac.") && e.Outcome == audit.OutcomeDenied {
			denied++
		}
	}
	if denied < 10 {
		t.Errorf("denied changes not audited (%d entries)", denied)
	}
}

func rowID(t *testing.T, f *fixture, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := f.db.SQL().QueryRow(query, args...).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTamperedRolePermissionRowIsDeniedAtThatRow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ag1 := who{"u-ag1", "t1"}
	other := Scope{Queue: "q2", Agent: "1002"}
	if f.svc.Can(ctx, ag1, PermCDRRead, other) {
		t.Fatal("precondition")
	}
	id := rowID(t, f, `SELECT id FROM rbac_role_permissions WHERE tenant='t1' AND role='agent' AND permission='cdr.read'`)
	// Widen the agent's CDR access to the whole tenant behind the service's back.
	if _, err := f.db.SQL().Exec(`UPDATE rbac_role_permissions SET scope='tenant' WHERE id=?`, id); err != nil {
		t.Fatal(err)
	}
	err := f.svc.Authorize(ctx, ag1, PermCDRRead, other)
	want := BadRow{tableRolePerms, id}
	if !errors.Is(err, errs.ErrForbidden) || !strings.Contains(err.Error(), want.String()) {
		t.Fatalf("err = %v, want denial naming %s", err, want)
	}
	// Even the access the agent had before is now refused: the row is not trusted.
	if f.svc.Can(ctx, ag1, PermCDRRead, Scope{Queue: "q1", Agent: "1001"}) {
		t.Fatal("tampered row still used")
	}
	// Rows that were not touched keep working.
	if !f.svc.Can(ctx, ag1, PermRecordingRead, Scope{Queue: "q1", Agent: "1001"}) {
		t.Fatal("an untouched row was refused")
	}
	if len(f.spy.alarms) == 0 || f.spy.alarms[0].Row != want || f.spy.alarms[0].UserID != "u-ag1" {
		t.Fatalf("alarms = %+v", f.spy.alarms)
	}
	found := false
	for _, e := range f.spy.entries {
		if e.Action == "rbac.integrity" && e.Outcome == audit.OutcomeAlarm && e.Target == want.String() {
			found = true
		}
	}
	if !found {
		t.Fatal("no audit entry for the alarm")
	}
	bad, err := f.svc.Verify(ctx)
	if err != nil || len(bad) != 1 || bad[0] != want {
		t.Fatalf("Verify = %v, %v", bad, err)
	}
}

func TestTamperedOrForgedUserRoleRows(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sup := who{"u-sup", "t1"}
	id := rowID(t, f, `SELECT id FROM rbac_user_roles WHERE user_id='u-sup'`)
	f.db.SQL().Exec(`UPDATE rbac_user_roles SET queues='q1,q2,q3' WHERE id=?`, id)
	err := f.svc.Authorize(ctx, sup, PermCDRRead, Scope{Queue: "q2"})
	if !errors.Is(err, errs.ErrForbidden) || !strings.Contains(err.Error(), BadRow{tableUserRoles, id}.String()) {
		t.Fatalf("widened queues: %v", err)
	}
	// A row inserted by hand, with a tag copied from another row.
	f.db.SQL().Exec(`INSERT INTO rbac_user_roles(id, user_id, tenant, role, queues, agent, tag)
		SELECT 999, 'u-intruder', 't1', 'auditor', '', '', tag FROM rbac_user_roles WHERE user_id='u-aud'`)
	err = f.svc.Authorize(ctx, who{"u-intruder", "t1"}, PermAuditRead, Scope{})
	if !errors.Is(err, errs.ErrForbidden) || !strings.Contains(err.Error(), "rbac_user_roles#999") {
		t.Fatalf("forged row: %v", err)
	}
	if _, err := f.svc.Roles(ctx, "u-intruder", "t1"); !errors.Is(err, errs.ErrForbidden) {
		t.Fatal("Roles lists a forged row")
	}
	bad, _ := f.svc.Verify(ctx)
	ids := []string{}
	for _, b := range bad {
		ids = append(ids, b.String())
	}
	want := []string{BadRow{tableUserRoles, id}.String(), BadRow{tableUserRoles, 999}.String()}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("Verify = %v, want %v", ids, want)
	}
}

func TestRequireMiddleware(t *testing.T) {
	f := newFixture(t)
	h := f.svc.Require(PermRecordingRead, func(r *http.Request) Scope {
		return Scope{Queue: r.URL.Query().Get("queue"), Agent: r.URL.Query().Get("agent")}
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	do := func(p *auth.Principal, q string) int {
		r := httptest.NewRequest("GET", "/rec?"+q, nil)
		if p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	ag1 := &auth.Principal{UserID: "u-ag1", Tenant: "t1"}
	if c := do(ag1, "queue=q1&agent=1001"); c != 200 {
		t.Fatalf("own recording: %d", c)
	}
	if c := do(ag1, "queue=q1&agent=1002"); c != 403 {
		t.Fatalf("other's recording: %d", c)
	}
	if c := do(nil, "queue=q1&agent=1001"); c != 401 {
		t.Fatalf("anonymous: %d", c)
	}
}

func BenchmarkAuthorize(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	sup := who{"u-sup", "t1"}
	sc := Scope{Queue: "q3", Agent: "1002"}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.svc.Authorize(ctx, sup, PermCDRRead, sc); err != nil {
			b.Fatal(err)
		}
	}
}

// A revoked grant copied out before the revocation and put back verbatim
// (its tag still matches: it covers the row's id and content) is refused
// and alarmed, and a new grant never takes a revoked row's id.
func TestRevokedRowReinsertedVerbatimIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sup := who{"u-sup", "t1"}
	saveRole := `CREATE TABLE saved_ur AS SELECT * FROM rbac_user_roles WHERE user_id = 'u-sup'`
	savePerm := `CREATE TABLE saved_rp AS SELECT * FROM rbac_role_permissions WHERE tenant = 't1' AND role = 'supervisor' AND permission = 'cdr.read'`
	for _, q := range []string{saveRole, savePerm} {
		if _, err := f.db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.RevokeRole(ctx, nil, "u-sup", "t1", RoleSupervisor); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokePermission(ctx, nil, "t1", RoleSupervisor, PermCDRRead); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`INSERT INTO rbac_user_roles SELECT * FROM saved_ur`, `INSERT INTO rbac_role_permissions SELECT * FROM saved_rp`} {
		if _, err := f.db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	err := f.svc.Authorize(ctx, sup, PermCDRRead, Scope{Queue: "q1"})
	if !errors.Is(err, errs.ErrForbidden) || !strings.Contains(err.Error(), "integrity") {
		t.Fatalf("re-inserted revoked grant: %v, want an integrity refusal", err)
	}
	if _, err := f.svc.Roles(ctx, "u-sup", "t1"); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("Roles lists a re-inserted revoked row: %v", err)
	}
	if bad, _ := f.svc.Verify(ctx); len(bad) != 2 {
		t.Fatalf("Verify found %v, want the two re-inserted rows", bad)
	}
	// The revocations themselves cannot be taken back.
	if _, err := f.db.SQL().Exec(`DELETE FROM rbac_revoked`); err == nil {
		t.Fatal("a revocation was deleted")
	}
	// New rows get fresh ids, never a revoked one.
	if _, err := f.db.SQL().Exec(`DELETE FROM rbac_user_roles WHERE user_id = 'u-sup'`); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AssignRole(ctx, nil, "u-sup", "t1", RoleSupervisor, Binding{Queues: []string{"q1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Roles(ctx, "u-sup", "t1"); err != nil {
		t.Fatalf("a fresh grant after a revocation: %v", err)
	}
}

// A default permission the security administrator revoked stays revoked
// when the tenant is seeded again at the next start.
func TestSeedingLeavesARevokedDefaultRevoked(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sup := who{"u-sup", "t1"}
	if err := f.svc.RevokePermission(ctx, nil, "t1", RoleSupervisor, PermCallMonitor); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SeedTenant(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Authorize(ctx, sup, PermCallMonitor, Scope{Queue: "q1"}); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("call.monitor after a restart's seeding: %v, want still revoked", err)
	}
	// Granted again on purpose, it works.
	if err := f.svc.GrantPermission(ctx, nil, "t1", RoleSupervisor, PermCallMonitor, ScopeQueue); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Authorize(ctx, sup, PermCallMonitor, Scope{Queue: "q1"}); err != nil {
		t.Fatalf("re-granted call.monitor: %v", err)
	}
}

// A tenant seeded before a release added a default permission (here: the
// OA's report reading) gets it at the next start's seeding, while a default
// revoked on purpose stays revoked.
func TestSeedingGivesAnUpgradedTenantTheNewDefaults(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// The older catalogue had no oa.report.read: as if never seeded.
	if _, err := f.db.SQL().ExecContext(ctx, `DELETE FROM `+tableRolePerms+` WHERE tenant = ? AND role = ? AND permission = ?`,
		"t1", RoleSupervisor, PermOAReportRead); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokePermission(ctx, nil, "t1", RoleSupervisor, PermCallMonitor); err != nil {
		t.Fatal(err)
	}
	sup := who{"u-sup", "t1"}
	if err := f.svc.Authorize(ctx, sup, PermOAReportRead, Scope{}); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("oa.report.read before the upgrade: %v, want forbidden", err)
	}
	if err := f.svc.SeedTenant(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Authorize(ctx, sup, PermOAReportRead, Scope{}); err != nil {
		t.Fatalf("oa.report.read after the upgrade's seeding: %v", err)
	}
	if err := f.svc.Authorize(ctx, sup, PermCallMonitor, Scope{Queue: "q1"}); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("call.monitor after the upgrade's seeding: %v, want still revoked", err)
	}
}
