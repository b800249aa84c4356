package oaui

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/yimen/yimen/internal/httpx/route"
)

// dist is the built UI (`make ui`: oa/web → oa/oaui/dist), or only
// placeholder.html when the UI was not built: the build output is never
// committed.
//
//go:embed all:dist
var dist embed.FS

// Placeholder is the page served when the UI was not built.
const Placeholder = "placeholder.html"

// UI serves the single-page application: its index at / (the screens are
// hash routes, /#/tickets/12, the form the screen pop's links take) and
// its assets under /ui/.
type UI struct {
	files fs.FS
	index []byte
	built bool
}

// New reads the embedded build; log says once when there is none.
func New(log *slog.Logger) *UI {
	sub, _ := fs.Sub(dist, "dist") // "dist" is embedded: cannot fail
	return newUI(sub, log)
}

func newUI(files fs.FS, log *slog.Logger) *UI {
	u := &UI{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		u.index, u.built = b, true
		return u
	}
	u.index, _ = fs.ReadFile(files, Placeholder)
	if log != nil {
		log.Warn("OA web UI not built: / serves a placeholder (run make ui, then rebuild)")
	}
	return u
}

// Built reports whether a UI build is embedded.
func (u *UI) Built() bool { return u.built }

// Routes are public: the pages and scripts hold no data.
func (u *UI) Routes() []route.Route {
	return []route.Route{
		{Method: "GET", Pattern: "/{$}", Public: true, Handler: http.HandlerFunc(u.page)},
		{Method: "GET", Pattern: "/ui/", Public: true, Handler: http.HandlerFunc(u.asset)},
	}
}

func (u *UI) page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	securityHeaders(h)
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
	if f, err := fs.Stat(u.files, name); err != nil || f.IsDir() {
		http.NotFound(w, r)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, u.files, name)
}

// securityHeaders keep the pages out of every frame and their scripts and
// connections to this origin; attachments shown inline are blob: URLs.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
}
