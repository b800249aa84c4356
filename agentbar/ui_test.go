package agentbar

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/yimen/yimen/internal/httpx/route/routetest"
)

func serve(t *testing.T, u *UI) *http.ServeMux { return routetest.Mux(t, u.Routes()) }

var get = routetest.Get

func TestUnbuiltUISaysHowToBuildIt(t *testing.T) {
	u := newUI(fstest.MapFS{Placeholder: {Data: []byte("run make ui")}}, nil, Origins{})
	if u.Built() {
		t.Fatal("a placeholder alone counts as a build")
	}
	mux := serve(t, u)
	for _, p := range []string{"/agent/", "/wallboard/", "/agent/settings"} {
		rec := get(mux, p)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make ui") {
			t.Errorf("%s: %d %q", p, rec.Code, rec.Body.String())
		}
	}
	if rec := get(mux, "/ui/placeholder.html"); rec.Code != http.StatusNotFound {
		t.Errorf("placeholder as an asset: %d", rec.Code)
	}
}

func TestBuiltUIServesIndexForEveryPageAndHashedAssets(t *testing.T) {
	u := newUI(fstest.MapFS{
		"index.html":         {Data: []byte("<div id=app>")},
		"assets/app-abc.js":  {Data: []byte("console.log(1)")},
		"assets/app-abc.css": {Data: []byte("body{}")},
	}, nil, Origins{})
	mux := serve(t, u)
	for _, p := range []string{"/agent/", "/wallboard/", "/wallboard/q/hotline"} {
		rec := get(mux, p)
		if rec.Code != http.StatusOK || rec.Body.String() != "<div id=app>" || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q %v", p, rec.Code, rec.Body.String(), rec.Header())
		}
		if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'self'") {
			t.Errorf("%s: no CSP", p)
		}
	}
	rec := get(mux, "/ui/assets/app-abc.js")
	if rec.Code != http.StatusOK || rec.Body.String() != "console.log(1)" || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") ||
		!strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Errorf("asset: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	for _, p := range []string{"/ui/", "/ui/assets/", "/ui/missing.js", "/ui/../ui.go", "/ui/index.html"} {
		// The mux cleans "..": a redirect to a clean path, never a file.
		if rec := get(mux, p); rec.Code != http.StatusNotFound && rec.Code/100 != 3 {
			t.Errorf("%s: %d, want 404 or a redirect", p, rec.Code)
		}
	}
}

func TestEmbeddingOriginsMayFrameThePages(t *testing.T) {
	u := newUI(fstest.MapFS{"index.html": {Data: []byte("<head><title>x</title></head><div id=app>")}}, nil, Origins{Embed: []string{"https://crm.example.org", "http://127.0.0.1:8081"}})
	rec := get(serve(t, u), "/agent/")
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://crm.example.org http://127.0.0.1:8081") {
		t.Fatalf("CSP %q", csp)
	}
	if !strings.Contains(rec.Body.String(), `<meta name="yimen-embed-origins" content="https://crm.example.org http://127.0.0.1:8081"></head>`) {
		t.Fatalf("page %q", rec.Body.String())
	}
}

// TestEmbeddedBuild: the binary holds either a build or the placeholder.
func TestEmbeddedBuild(t *testing.T) {
	u := New(nil)
	mux := serve(t, u)
	rec := get(mux, "/agent/")
	if u.Built() != (rec.Code == http.StatusOK) || rec.Body.Len() == 0 {
		t.Fatalf("built=%v, /agent/ %d (%d bytes)", u.Built(), rec.Code, rec.Body.Len())
	}
}

// The OAs named in http.ui_connect_origins may be fetched from (knowledge
// suggestions); nothing else but the PBX itself.
func TestConnectOriginsMayBeFetched(t *testing.T) {
	u := newUI(fstest.MapFS{"index.html": {Data: []byte("<head></head>")}}, nil, Origins{Connect: []string{"https://oa.example.org"}})
	csp := get(serve(t, u), "/agent/").Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://oa.example.org;") {
		t.Fatalf("CSP %q", csp)
	}
	csp = get(serve(t, newUI(fstest.MapFS{"index.html": {Data: []byte("<head></head>")}}, nil, Origins{})), "/agent/").Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self';") {
		t.Fatalf("CSP without connect origins %q", csp)
	}
}
