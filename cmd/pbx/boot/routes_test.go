package boot

import (
	"fmt"
	"slices"
	"testing"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
)

// TestEveryRouteDeclaresItsAccess reads the PBX's whole route table, as
// the process mounts it: every route is Public or names a permission rbac
// knows, the Public ones are exactly those that must be reachable without
// credentials, and each permission is the one the route had when it was
// reviewed — a route added or loosened without a look here fails.
func TestEveryRouteDeclaresItsAccess(t *testing.T) {
	p := build(t, securityTestConfig(t.TempDir()), []string{"YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()})
	if err := route.Check(p.Routes); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, rt := range p.Routes {
		access := rt.Perm
		if rt.Public {
			access = "public"
		} else if rt.Perm != route.AnyUser && !slices.Contains(rbac.Permissions(), rt.Perm) {
			t.Errorf("%s needs %q, which rbac does not know: no one could be granted it", rt.Key(), rt.Perm)
		}
		got[rt.Key()] = access
	}
	reviewed := reviewedAccess()
	for key, want := range reviewed {
		if got[key] != want {
			t.Errorf("%s: access %q, want %q", key, got[key], want)
		}
	}
	for key, access := range got {
		if _, ok := reviewed[key]; !ok {
			t.Errorf("%s (%s) is not in reviewedAccess: add it once its access is reviewed", key, access)
		}
	}
}

// reviewedAccess is every route of the PBX with its access rule.
func reviewedAccess() map[string]string {
	m := map[string]string{}
	add := func(access string, keys ...string) {
		for _, k := range keys {
			if _, dup := m[k]; dup {
				panic(fmt.Sprintf("reviewedAccess: %s twice", k))
			}
			m[k] = access
		}
	}
	add("public", "GET /healthz", "GET /metrics", "POST /api/v1/login", "POST /api/v1/login/challenge", "POST /api/v1/login/sm2",
		"GET /cti",                                   // the websocket authenticates its clients itself
		"GET /agent/", "GET /wallboard/", "GET /ui/") // static pages: their data comes through login and the CTI
	add(route.AnyUser, "GET /api/v1/wallboard/layouts/{role}") // what a wallboard shows: no personal data
	add(rbac.PermConfigWrite, "PUT /api/v1/wallboard/layouts/{role}")
	add(route.AnyUser, "POST /api/v1/logout", "GET /api/v1/session", "POST /api/v1/password", "POST /api/v1/totp",
		"POST /api/v1/totp/confirm", "PUT /api/v1/sm2-key",
		"POST /api/v1/sso/token") // a person's session only; the handler refuses API tokens and administrators
	add(rbac.PermUserWrite, "POST /api/v1/tenants/{tenant}/users", "POST /api/v1/tenants/{tenant}/users/{name}/password",
		"POST /api/v1/tenants/{tenant}/users/{name}/disable", "POST /api/v1/tenants/{tenant}/users/{name}/enable",
		"POST /api/v1/tenants/{tenant}/users/{name}/unlock", "POST /api/v1/tenants/{tenant}/tokens", "DELETE /api/v1/tokens/{id}")
	add(rbac.PermUserRead, "GET /api/v1/tenants/{tenant}/users/{name}")
	add(rbac.PermRoleRead, "GET /api/v1/roles", "GET /api/v1/users/{id}/roles")
	add(rbac.PermRoleWrite, "POST /api/v1/users/{id}/roles", "DELETE /api/v1/users/{id}/roles/{role}",
		"POST /api/v1/roles/{role}/permissions", "DELETE /api/v1/roles/{role}/permissions/{perm}")
	add(rbac.PermAuditRead, "GET /api/v1/audit", "GET /api/v1/audit/verify")
	add(rbac.PermAuditExport, "GET /api/v1/audit/export")
	add(rbac.PermConfigRead, "GET /api/v1/bans", "GET /api/v1/registrations", "GET /api/v1/trunks", "GET /api/v1/tenants/{tenant}/agents",
		"GET /api/v1/tenants/{tenant}/queues")
	add(rbac.PermBanWrite, "POST /api/v1/bans", "DELETE /api/v1/bans/{ip}")
	add(rbac.PermCDRRead, "GET /api/v1/cdrs")
	add(rbac.PermCallMonitor, "GET /api/v1/calls")
	add(rbac.PermConfigWrite, "POST /api/v1/tenants/{tenant}/extensions/{ext}/secret", "GET /debug/pprof/", "GET /debug/pprof/profile",
		"GET /debug/pprof/heap", "GET /debug/pprof/goroutine", "GET /debug/pprof/allocs",
		"PUT /api/v1/tenants/{tenant}/agents/{id}", "DELETE /api/v1/tenants/{tenant}/agents/{id}",
		"PUT /api/v1/tenants/{tenant}/queues/{id}", "DELETE /api/v1/tenants/{tenant}/queues/{id}")
	add(rbac.PermRecordingRead, "GET /api/v1/recordings", "GET /api/v1/recordings/{id}", "GET /api/v1/recordings/{id}/audio",
		"GET /api/v1/recordings/{id}/download", "GET /api/v1/qa/rules", "GET /api/v1/qa/tasks", "GET /api/v1/qa/scores")
	add(rbac.PermQAScoreWrite, "PATCH /api/v1/recordings/{id}", "POST /api/v1/qa/rules", "DELETE /api/v1/qa/rules/{id}",
		"POST /api/v1/qa/generate", "PATCH /api/v1/qa/tasks/{id}")
	add(rbac.PermCallControl, "POST /api/v1/recordings/live/{call}/{action}")
	add(rbac.PermRecordingDelete, "DELETE /api/v1/recordings/{id}")
	return m
}
