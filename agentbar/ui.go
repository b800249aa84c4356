package agentbar

import (
	"embed"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/webui"
)

// dist is the built UI (`make ui`), or only placeholder.html when the UI was
// not built: the build output is never committed.
//
//go:embed all:dist
var dist embed.FS

// Placeholder is the page served when the UI was not built.
const Placeholder = webui.Placeholder

// UI serves the single-page application: its assets under /ui/ and its
// index for every page route, so a reload of /agent/ or /wallboard/ works.
type UI struct{ app *webui.App }

// New reads the embedded build; log says once when there is none.
// embedOrigins may show the agent bar in an iframe and drive it with
// postMessage (validated by internal/config as bare origins).
func New(log *slog.Logger, embedOrigins ...string) *UI {
	return NewFor(log, Origins{Embed: embedOrigins})
}

// Origins are the other sites the pages deal with (bare origins,
// validated by internal/config).
type Origins struct {
	// Embed may show the agent bar in an iframe and drive it with postMessage.
	Embed []string
	// Connect are the OAs the bar fetches knowledge suggestions from
	// (http.ui_connect_origins; the OA allows the PBX in sso.bar_origins).
	Connect []string
}

// NewFor is New with the connecting origins too.
func NewFor(log *slog.Logger, o Origins) *UI {
	sub, _ := fs.Sub(dist, "dist") // "dist" is embedded: cannot fail
	return newUI(sub, log, o)
}

func newUI(files fs.FS, log *slog.Logger, o Origins) *UI {
	embedOrigins := o.Embed
	// The pages stay out of other sites' frames but the embedding origins',
	// and their scripts and connections to this origin ('self' covers the
	// CTI websocket on the same host) and the OAs named for knowledge.
	csp := "default-src 'self'; connect-src " + strings.Join(append([]string{"'self'"}, o.Connect...), " ") +
		"; img-src 'self' data:; style-src 'self' 'unsafe-inline'; media-src 'self' blob:; frame-ancestors " +
		strings.Join(append([]string{"'self'"}, embedOrigins...), " ")
	// The page learns whom it may talk to over postMessage from a meta tag:
	// the same list the CSP lets frame it.
	meta := `<meta name="yimen-embed-origins" content="` + html.EscapeString(strings.Join(embedOrigins, " ")) + `">`
	u := &UI{app: webui.New(files, csp, func(index []byte) []byte {
		return []byte(strings.Replace(string(index), "</head>", meta+"</head>", 1))
	})}
	if !u.app.Built() && log != nil {
		log.Warn("agent bar UI not built: /agent/ and /wallboard/ serve a placeholder (run make ui, then rebuild)")
	}
	return u
}

// Built reports whether a UI build is embedded.
func (u *UI) Built() bool { return u.app.Built() }

// Routes are public: the pages hold no data; everything they show comes
// through the admin API's login and the CTI websocket, which authenticate.
func (u *UI) Routes() []route.Route {
	page := http.HandlerFunc(u.app.Page)
	return []route.Route{
		{Method: "GET", Pattern: "/agent/", Public: true, Handler: page},
		{Method: "GET", Pattern: "/wallboard/", Public: true, Handler: page},
		{Method: "GET", Pattern: "/ui/", Public: true, Handler: http.HandlerFunc(u.app.Asset)},
	}
}
