package adminapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yimen/yimen/internal/httpx/route"
)

// TestRoutesDeclareTheirAccess: only the three login routes are reachable
// without credentials; every other platform route names a permission.
func TestRoutesDeclareTheirAccess(t *testing.T) {
	routes := New(Deps{}).Routes()
	if err := route.Check(routes); err != nil {
		t.Fatal(err)
	}
	public := 0
	for _, rt := range routes {
		if rt.Public {
			public++
			if rt.Method != "POST" || (rt.Pattern != "/api/v1/login" && rt.Pattern != "/api/v1/login/challenge" && rt.Pattern != "/api/v1/login/sm2") {
				t.Errorf("%s is public", rt.Key())
			}
		}
	}
	if public != 3 {
		t.Errorf("%d public routes, want the 3 login routes", public)
	}
}

// TestProtectWithoutSecurityRefusesEverything: a server built without its
// security services answers 503 on every protected route, never runs it.
func TestProtectWithoutSecurityRefusesEverything(t *testing.T) {
	api := New(Deps{})
	ran := false
	h := api.Protect(route.Route{Method: "GET", Pattern: "/x", Perm: "cdr.read", Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != http.StatusServiceUnavailable || ran {
		t.Errorf("%d, handler ran: %v", w.Code, ran)
	}
}
