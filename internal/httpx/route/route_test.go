package route

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })

// denyAll is a guard that refuses every protected route.
type denyAll struct{ seen []string }

func (d *denyAll) Protect(rt Route) http.Handler {
	d.seen = append(d.seen, rt.Key())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
}

func TestCheckNamesEveryRouteWithoutAnAccessRule(t *testing.T) {
	err := Check([]Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: ok},
		{Method: "GET", Pattern: "/api/v1/cdrs", Perm: "cdr.read", Handler: ok},
		{Method: "POST", Pattern: "/api/v1/forgotten", Handler: ok},
		{Method: "GET", Pattern: "/api/v1/both", Public: true, Perm: "cdr.read", Handler: ok},
		{Method: "GET", Pattern: "/api/v1/cdrs", Perm: "cdr.read", Handler: ok},
		{Method: "GET", Pattern: "/api/v1/nothing", Perm: "cdr.read"},
	})
	if err == nil {
		t.Fatal("Check accepted a route without permission")
	}
	for _, want := range []string{"POST /api/v1/forgotten: neither", "GET /api/v1/both: Public and", "GET /api/v1/cdrs: declared twice", "GET /api/v1/nothing: no handler"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check's error does not name %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "/healthz") {
		t.Errorf("Check refused a Public route: %v", err)
	}
}

func TestMountProtectsAllButPublicRoutes(t *testing.T) {
	mux := http.NewServeMux()
	g := &denyAll{}
	err := Mount(mux, g, []Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: ok},
		{Method: "GET", Pattern: "/api/v1/cdrs", Perm: "cdr.read", Handler: ok},
		{Method: "POST", Pattern: "/api/v1/logout", Perm: AnyUser, Handler: ok},
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"GET /healthz": 299, "GET /api/v1/cdrs": 403, "POST /api/v1/logout": 403, "GET /api/v1/other": 404} {
		m, p, _ := strings.Cut(path, " ")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(m, p, nil))
		if w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
	}
	if len(g.seen) != 2 {
		t.Errorf("guard asked for %v, want the two protected routes", g.seen)
	}
}

func TestMountRefusesAnUnprotectedRoute(t *testing.T) {
	mux := http.NewServeMux()
	err := Mount(mux, &denyAll{}, []Route{{Method: "DELETE", Pattern: "/api/v1/everything", Handler: ok}})
	if err == nil {
		t.Fatal("Mount accepted a route that is neither Public nor has a permission")
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("DELETE", "/api/v1/everything", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("the refused table was partly mounted: %d", w.Code)
	}
}
