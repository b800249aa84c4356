// Package routetest mounts routes without a guard, for the tests of the
// packages that declare them.
package routetest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yimen/yimen/internal/httpx/route"
)

type noGuard struct{}

func (noGuard) Protect(rt route.Route) http.Handler { return rt.Handler }

// Mux mounts routes on a new mux with every guard open.
func Mux(t testing.TB, routes []route.Route) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	if err := route.Mount(mux, noGuard{}, routes); err != nil {
		t.Fatal(err)
	}
	return mux
}

// Get is mux's answer to a GET of path.
func Get(mux http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}
