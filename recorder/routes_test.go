package recorder

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
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
	}, nil)
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

// cdrReader holds cdr.read for one scope only.
type cdrReader rbac.Scope

func (c cdrReader) Can(_ *http.Request, perm string, sc rbac.Scope) bool {
	return perm == rbac.PermCDRRead && sc == rbac.Scope(c)
}

// TestCallerSearchNeedsCDRRead: a search by caller number is an oracle for
// the masked number unless the caller may read the same calls' CDRs; it is
// refused without cdr.read for the search's own tenant, queue and agent.
func TestCallerSearchNeedsCDRRead(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, c := range []struct {
		access Access
		query  string
		want   int
	}{
		{nil, "tenant=demo", 200},
		{nil, "tenant=demo&caller=13812345678", 403},
		{cdrReader{Tenant: "demo", Queue: "q1"}, "tenant=demo&queue=q1&caller=13812345678", 200},
		{cdrReader{Tenant: "demo", Queue: "q1"}, "tenant=demo&queue=q2&caller=13812345678", 403},
		{cdrReader{Tenant: "demo", Queue: "q1"}, "tenant=demo&caller=13812345678", 403},
		{cdrReader{Tenant: "demo", Agent: "a1"}, "tenant=demo&agent=a1&caller=13812345678", 200},
	} {
		w := httptest.NewRecorder()
		callerSearch(c.access, ok).ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/recordings?"+c.query, nil))
		if w.Code != c.want {
			t.Errorf("%+v %s: %d, want %d", c.access, c.query, w.Code, c.want)
		}
	}
}
