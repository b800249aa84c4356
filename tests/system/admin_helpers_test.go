package system_test

import (
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/tests/testpbx"
)

// newUser has the platform sysadmin create name in tenant, logs in and
// replaces the generated password (which must be changed), and returns the
// user's id and a session token.
func newUser(t *testing.T, c *testpbx.Client, p *testpbx.PBX, sysToken, tenant, name string) (id, token string) {
	t.Helper()
	r := c.Do("POST", "/api/v1/tenants/"+tenant+"/users", sysToken, map[string]string{"name": name}, nil)
	if r.Code != 201 {
		t.Fatalf("create user %s/%s: %d %s", tenant, name, r.Code, r.Body)
	}
	var u struct {
		ID       string `json:"id"`
		Password string `json:"password"`
	}
	r.JSON(t, &u)
	tok := c.Login(tenant, name, u.Password)
	if r := c.Do("GET", "/api/v1/roles", tok, nil, nil); r.Code != 403 || !strings.Contains(string(r.Body), "password must be changed") {
		t.Fatalf("user with a generated password: %d %s before changing it, want 403 asking for a change", r.Code, r.Body)
	}
	if r := c.Do("POST", "/api/v1/password", tok, map[string]string{"old_password": u.Password, "new_password": "Changed-" + u.Password}, nil); r.Code != 204 {
		t.Fatalf("change password of %s: %d %s", name, r.Code, r.Body)
	}
	return u.ID, tok
}

// assign has a security administrator give user id a role.
func assign(t *testing.T, c *testpbx.Client, secToken, id, role string, queues []string, agent string) {
	t.Helper()
	r := c.Do("POST", "/api/v1/users/"+id+"/roles", secToken, map[string]any{"role": role, "queues": queues, "agent": agent}, nil)
	if r.Code != 204 {
		t.Fatalf("assign %s to %s: %d %s", role, id, r.Code, r.Body)
	}
}

// twoTenants adds tenant "other" (with its own administrators) and agent a1
// on extension 1001 of demo.
func twoTenants(c *config.Config) {
	c.Tenants[0].Domains = []string{testpbx.Host(c), "demo.test"}
	c.Tenants[0].Agents = []config.Agent{{ID: "a1", Name: "Agent One", Extension: "1001"}}
	c.Tenants = append(c.Tenants, config.Tenant{Name: "other", Domains: []string{"other.test"}, Extensions: []string{"2001-2002"}})
	c.Admin.TenantAdmins = true
}

func auditSearch(t *testing.T, c *testpbx.Client, token, query string) []testpbx.AuditRow {
	t.Helper()
	return c.Audit(token, query)
}
