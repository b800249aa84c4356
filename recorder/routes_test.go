package recorder

import (
	"net/http/httptest"
	"testing"

	"github.com/yimen/yimen/internal/httpx/route"
)

// TestRoutesDeclareTheirAccess: every recording and QA route names its
// permission and a scope; a live-recording control for a call nobody knows
// is scoped to no tenant, so only the platform's principals pass it.
func TestRoutesDeclareTheirAccess(t *testing.T) {
	r := &Recorder{}
	routes := r.Routes(func(id string) string {
		if id == "c1" {
			return "demo"
		}
		return ""
	})
	if err := route.Check(routes); err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		if rt.Public || rt.Scope == nil {
			t.Errorf("%s: public %v, scope set %v", rt.Key(), rt.Public, rt.Scope != nil)
		}
		if rt.Pattern != "/api/v1/recordings/live/{call}/{action}" {
			continue
		}
		for call, want := range map[string]string{"c1": "demo", "c2": unknownTenant} {
			req := httptest.NewRequest("POST", "/api/v1/recordings/live/"+call+"/start", nil)
			req.SetPathValue("call", call)
			if got := rt.Scope(req).Tenant; got != want {
				t.Errorf("live %s: tenant %q, want %q", call, got, want)
			}
		}
	}
}
