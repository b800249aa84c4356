package agentbar

import (
	"embed"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/yimen/yimen/internal/httpx/route"
)

// dist is the built UI (`make ui`), or only placeholder.html when the UI was
// not built: the build output is never committed.
//
//go:embed all:dist
var dist embed.FS

// Placeholder is the page served when the UI was not built.
const Placeholder = "placeholder.html"

// UI serves the single-page application: its assets under /ui/ and its
// index for every page route, so a reload of /agent/ or /wallboard/ works.
type UI struct {
	files fs.FS
	index []byte
	built bool
	// frameAncestors: who may show the pages in a frame ('self' and the
	// embedding origins).
	frameAncestors string
}

// New reads the embedded build; log says once when there is none.
// embedOrigins may show the agent bar in an iframe and drive it with
// postMessage (validated by internal/config as bare origins).
func New(log *slog.Logger, embedOrigins ...string) *UI {
	sub, _ := fs.Sub(dist, "dist") // "dist" is embedded: cannot fail
	return newUI(sub, log, embedOrigins...)
}

func newUI(files fs.FS, log *slog.Logger, embedOrigins ...string) *UI {
	u := &UI{files: files, frameAncestors: strings.Join(append([]string{"'self'"}, embedOrigins...), " ")}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		// The page learns whom it may talk to over postMessage from a meta
		// tag: the same list the CSP lets frame it.
		meta := `<meta name="yimen-embed-origins" content="` + html.EscapeString(strings.Join(embedOrigins, " ")) + `">`
		u.index, u.built = []byte(strings.Replace(string(b), "</head>", meta+"</head>", 1)), true
		return u
	}
	u.index, _ = fs.ReadFile(files, Placeholder)
	if log != nil {
		log.Warn("agent bar UI not built: /agent/ and /wallboard/ serve a placeholder (run make ui, then rebuild)")
	}
	return u
}

// Built reports whether a UI build is embedded.
func (u *UI) Built() bool { return u.built }

// Routes are public: the pages hold no data; everything they show comes
// through the admin API's login and the CTI websocket, which authenticate.
func (u *UI) Routes() []route.Route {
	page := http.HandlerFunc(u.page)
	return []route.Route{
		{Method: "GET", Pattern: "/agent/", Public: true, Handler: page},
		{Method: "GET", Pattern: "/wallboard/", Public: true, Handler: page},
		{Method: "GET", Pattern: "/ui/", Public: true, Handler: http.HandlerFunc(u.asset)},
	}
}

// page answers every path of the application with its index; the router
// in the browser picks the screen.
func (u *UI) page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	u.securityHeaders(h)
	if !u.built {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(u.index)
}

// asset serves the build's files; their names carry a content hash, so they
// are cached for good.
func (u *UI) asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/ui/")
	if !u.built || name == "" || name == "index.html" || name == Placeholder || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f, err := fs.Stat(u.files, name)
	if err != nil || f.IsDir() {
		http.NotFound(w, r)
		return
	}
	u.securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, u.files, name)
}

// securityHeaders keep the pages out of other sites' frames (but the
// embedding origins') and their scripts and connections to this origin
// ('self' covers the CTI websocket on the same host).
func (u *UI) securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; media-src 'self' blob:; frame-ancestors "+u.frameAncestors)
}
