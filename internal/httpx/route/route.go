// Package route is the type every HTTP API declares its endpoints with: a
// Route names its method and pattern, its handler and, beside it, its access
// rule (an rbac permission and the scope it is needed for, or Public). Mount
// refuses a table with a route that has neither, so an unprotected route
// cannot be added by accident. It sits apart from internal/httpx because it
// speaks rbac, which internal/auth and internal/audit (users of httpx) are
// beneath.
package route

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/yimen/yimen/internal/rbac"
)

// AnyUser is the Perm of a route every authenticated caller may use on
// their own account (logout, changing their password): authentication is
// the whole check.
const AnyUser = "authenticated"

// Route is one endpoint with its access rule beside its handler: a route
// either names the permission it needs (and the scope it needs it for) or
// says it is Public. Mount refuses a route that does neither.
type Route struct {
	Method  string // "GET", "POST", …
	Pattern string // http.ServeMux path pattern, e.g. "/api/v1/cdrs"
	Handler http.Handler

	// Perm is the rbac permission the caller must hold for Scope, or AnyUser.
	Perm string
	// Scope derives what the request acts on; nil: the caller's own tenant.
	Scope func(*http.Request) rbac.Scope
	// Public routes are served as they are: health, metrics, login, and
	// endpoints that authenticate by themselves (the CTI websocket).
	Public bool

	// Action names the request in the audit log ("cdr.read"); "" uses Perm.
	Action string
	// Reads audits successful reads too (personal data, the audit log).
	Reads bool
	// Self: the handler audits its own outcome; only denials are recorded.
	Self bool
	// Stale allows the route while the caller's password must be changed.
	Stale bool
	// Enrol allows the route on an administrator's one-factor session
	// (auth.Principal.SecondFactorDue): enrolling the second factor.
	Enrol bool
	// Limit bounds the request body; 0: httpx.DefaultBodyLimit.
	Limit int64
}

// Key is the route's ServeMux pattern ("GET /api/v1/cdrs").
func (rt Route) Key() string { return rt.Method + " " + rt.Pattern }

// Guard turns a protected route into a handler that authenticates,
// authorizes and audits before it runs (internal/adminapi implements it).
type Guard interface {
	Protect(Route) http.Handler
}

// Check names every route that is neither Public nor has a permission,
// and every one declared twice.
func Check(routes []Route) error {
	var problems []error
	seen := map[string]bool{}
	for _, rt := range routes {
		switch {
		case rt.Handler == nil:
			problems = append(problems, fmt.Errorf("%s: no handler", rt.Key()))
		case !rt.Public && rt.Perm == "":
			problems = append(problems, fmt.Errorf("%s: neither a permission nor Public", rt.Key()))
		case rt.Public && rt.Perm != "":
			problems = append(problems, fmt.Errorf("%s: Public and a permission", rt.Key()))
		}
		if seen[rt.Key()] {
			problems = append(problems, fmt.Errorf("%s: declared twice", rt.Key()))
		}
		seen[rt.Key()] = true
	}
	return errors.Join(problems...)
}

// Mount registers routes on mux, each protected by g unless Public. It
// refuses the whole table when Check does.
func Mount(mux *http.ServeMux, g Guard, routes []Route) error {
	if err := Check(routes); err != nil {
		return err
	}
	for _, rt := range routes {
		if rt.Public {
			mux.Handle(rt.Key(), rt.Handler)
			continue
		}
		mux.Handle(rt.Key(), g.Protect(rt))
	}
	return nil
}
