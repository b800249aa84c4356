package webui

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Placeholder is the page served when the UI was not built: the only file
// of a build directory that is committed.
const Placeholder = "placeholder.html"

// App is one embedded build.
type App struct {
	files fs.FS
	index []byte
	built bool
	csp   string
}

// New reads files: a build (index.html and its assets) or only Placeholder.
// csp is the Content-Security-Policy of every response; edit, when not nil,
// changes the index once (the agent bar adds the origins that may embed it).
func New(files fs.FS, csp string, edit func(index []byte) []byte) *App {
	a := &App{files: files, csp: csp}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		if edit != nil {
			b = edit(b)
		}
		a.index, a.built = b, true
		return a
	}
	a.index, _ = fs.ReadFile(files, Placeholder)
	return a
}

// Built reports whether a UI build is embedded.
func (a *App) Built() bool { return a.built }

// Page answers a page route with the index (the router in the browser
// picks the screen), or with the placeholder and 503 when there is no build.
func (a *App) Page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	a.securityHeaders(h)
	if !a.built {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(a.index)
}

// Asset serves the build's files under /ui/; their names carry a content
// hash, so they are cached for good. The index and the placeholder are not
// assets.
func (a *App) Asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/ui/")
	if !a.built || name == "" || name == "index.html" || name == Placeholder || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	if f, err := fs.Stat(a.files, name); err != nil || f.IsDir() {
		http.NotFound(w, r)
		return
	}
	a.securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, a.files, name)
}

func (a *App) securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", a.csp)
}
