package pbxapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/guard"
	"github.com/yimen/yimen/pbx/registrar"
	"github.com/yimen/yimen/pbx/trunk"
)

type fakePBX struct{}

func (fakePBX) Health() pbx.Health                                                { return pbx.Health{} }
func (fakePBX) Registrations(string) []registrar.Binding                          { return nil }
func (fakePBX) Calls() []b2bua.CallInfo                                           { return nil }
func (fakePBX) AgentExtension(string, string) string                              { return "" }
func (fakePBX) HasExtension(string, string) bool                                  { return false }
func (fakePBX) QueueRecords() pbx.QueueRecords                                    { return nil }
func (fakePBX) Guard() *guard.Guard                                               { return nil }
func (fakePBX) Trunks() *trunk.Manager                                            { return nil }
func (fakePBX) SetSecret(context.Context, string, string, string) (string, error) { return "", nil }

type platformOnly struct{}

func (platformOnly) TenantFilter(*http.Request) string { return "" }
func (platformOnly) PlatformScope(*http.Request) rbac.Scope {
	return rbac.Scope{Tenant: "platform"}
}
func (platformOnly) Can(*http.Request, string, rbac.Scope) bool { return false }

type flows struct{}

func (flows) Reload() (uint64, error) { return 1, nil }

// TestRoutesDeclareTheirAccess: every PBX route is Public or has a
// permission; what every tenant shares (bans, profiling, flow reloads) is
// authorized against the platform tenant only.
func TestRoutesDeclareTheirAccess(t *testing.T) {
	routes := New(Deps{PBX: fakePBX{}, Tenancy: platformOnly{}, Flows: flows{}}).Routes()
	if err := route.Check(routes); err != nil {
		t.Fatal(err)
	}
	shared := map[string]string{
		"POST /api/v1/ivr/reload": rbac.PermConfigWrite, "GET /debug/pprof/heap": rbac.PermConfigWrite,
		"GET /api/v1/bans": rbac.PermConfigRead, "POST /api/v1/bans": rbac.PermBanWrite, "DELETE /api/v1/bans/{ip}": rbac.PermBanWrite,
	}
	for _, rt := range routes {
		want, ok := shared[rt.Key()]
		if !ok {
			continue
		}
		delete(shared, rt.Key())
		if rt.Perm != want || rt.Scope == nil || rt.Scope(nil).Tenant != "platform" {
			t.Errorf("%s: %q, want %q for the platform tenant", rt.Key(), rt.Perm, want)
		}
	}
	if len(shared) != 0 {
		t.Errorf("routes missing: %v", shared)
	}
}
