package acdapi

import (
	"testing"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

// TestRoutesDeclareTheirAccess: reads need config.read, changes
// config.write, each in the tenant its path names; none is public.
func TestRoutesDeclareTheirAccess(t *testing.T) {
	routes := New(Deps{}).Routes()
	if err := route.Check(routes); err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		want := rbac.PermConfigWrite
		if rt.Method == "GET" {
			want = rbac.PermConfigRead
		}
		if rt.Public || rt.Perm != want || rt.Scope == nil {
			t.Errorf("%s: public %v, %q; want %q for the path's tenant", rt.Key(), rt.Public, rt.Perm, want)
		}
	}
}

func TestFieldNameSpeaksTheAPIsWords(t *testing.T) {
	// fieldName needs the configuration the ACD refused to resolve indexes.
	for _, tc := range []struct{ path, kind, id, want string }{
		{"queues[0].strategy", "queues", "q1", "strategy"},
		{"agents[0].endpoint", "agents", "a1", "extension"},
		{"queues[0].agents", "agents", "a1", "queues.q1.agents"},
		{"tenant", "queues", "q1", "tenant"},
	} {
		if got := fieldName(tc.path, tenantCfg(), tc.kind, tc.id); got != tc.want {
			t.Errorf("fieldName(%q, %s %s) = %q, want %q", tc.path, tc.kind, tc.id, got, tc.want)
		}
	}
}

func tenantCfg() acd.TenantConfig {
	return acd.TenantConfig{Tenant: "demo", Agents: []acd.AgentConfig{{ID: "a1"}}, Queues: []acd.QueueConfig{{ID: "q1"}}}
}
