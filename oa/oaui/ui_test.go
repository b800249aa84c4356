package oaui

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/yimen/yimen/internal/httpx/route/routetest"
)

func mux(t *testing.T, u *UI) *http.ServeMux { return routetest.Mux(t, u.Routes()) }

var get = routetest.Get

func TestUnbuiltOAUISaysHowToBuildIt(t *testing.T) {
	u := newUI(fstest.MapFS{Placeholder: {Data: []byte("run make ui")}}, nil)
	if u.Built() {
		t.Fatal("a placeholder alone counts as a build")
	}
	m := mux(t, u)
	if rec := get(m, "/"); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make ui") {
		t.Errorf("/: %d %q", rec.Code, rec.Body.String())
	}
	for _, p := range []string{"/ui/placeholder.html", "/ui/index.html", "/ui/"} {
		if rec := get(m, p); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
}

func TestBuiltOAUIServesItsIndexAndHashedAssets(t *testing.T) {
	m := mux(t, newUI(fstest.MapFS{
		"index.html":        {Data: []byte("<div id=app>")},
		"assets/oa-abc.js":  {Data: []byte("console.log(1)")},
		"assets/oa-abc.css": {Data: []byte("body{}")},
	}, nil))
	rec := get(m, "/")
	if rec.Code != http.StatusOK || rec.Body.String() != "<div id=app>" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("/: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q", csp)
	}
	// Only / is a page: any other path is not the application.
	if rec := get(m, "/tickets/12"); rec.Code != http.StatusNotFound {
		t.Errorf("/tickets/12: %d", rec.Code)
	}
	rec = get(m, "/ui/assets/oa-abc.js")
	if rec.Code != http.StatusOK || rec.Body.String() != "console.log(1)" || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("asset: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("asset type %q", ct)
	}
	for _, p := range []string{"/ui/index.html", "/ui/assets", "/ui/assets/missing.js"} {
		if rec := get(m, p); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
}
