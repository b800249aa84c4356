package oaui

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/webui"
)

// dist is the built UI (`make ui`: oa/web → oa/oaui/dist), or only
// placeholder.html when the UI was not built: the build output is never
// committed.
//
//go:embed all:dist
var dist embed.FS

// Placeholder is the page served when the UI was not built.
const Placeholder = webui.Placeholder

// csp keeps the pages out of every frame and their scripts and connections
// to this origin; attachments shown inline are blob: URLs.
const csp = "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// UI serves the single-page application: its index at / (the screens are
// hash routes, /#/tickets/12, the form the screen pop's links take) and
// its assets under /ui/.
type UI struct{ app *webui.App }

// New reads the embedded build; log says once when there is none.
func New(log *slog.Logger) *UI {
	sub, _ := fs.Sub(dist, "dist") // "dist" is embedded: cannot fail
	return newUI(sub, log)
}

func newUI(files fs.FS, log *slog.Logger) *UI {
	u := &UI{app: webui.New(files, csp, nil)}
	if !u.app.Built() && log != nil {
		log.Warn("OA web UI not built: / serves a placeholder (run make ui, then rebuild)")
	}
	return u
}

// Built reports whether a UI build is embedded.
func (u *UI) Built() bool { return u.app.Built() }

// Routes are public: the pages and scripts hold no data.
func (u *UI) Routes() []route.Route {
	return []route.Route{
		{Method: "GET", Pattern: "/{$}", Public: true, Handler: http.HandlerFunc(u.app.Page)},
		{Method: "GET", Pattern: "/ui/", Public: true, Handler: http.HandlerFunc(u.app.Asset)},
	}
}
