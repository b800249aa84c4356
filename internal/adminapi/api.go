package adminapi

import (
	"log/slog"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

// Deps are what the admin API is given.
type Deps struct {
	// Security authenticates, authorizes and audits; nil leaves every
	// protected route answering 503.
	Security *Security
	// BreakGlassToken authorizes as BreakGlassSubject (compared in constant
	// time); "" disables it.
	BreakGlassToken string
	// KnownTenant reports whether a tenant is configured (users and tokens
	// are created only in one).
	KnownTenant func(name string) bool
	Log         *slog.Logger
}

// API is the platform admin API and the Guard of every protected route.
type API struct {
	sec         *Security
	token       string
	knownTenant func(string) bool
	log         *slog.Logger
}

var _ route.Guard = (*API)(nil)

// New builds the admin API over its services.
func New(d Deps) *API {
	a := &API{sec: d.Security, token: d.BreakGlassToken, knownTenant: d.KnownTenant, log: d.Log}
	if a.knownTenant == nil {
		a.knownTenant = func(string) bool { return false }
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	return a
}

// fail answers a failed admin request (httpx.Fail: 5xx logged once, never shown).
func (a *API) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	httpx.Fail(w, r, a.log, "cannot "+what, err)
}

// Fail is fail for the admin routes other packages declare.
func (a *API) Fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.fail(w, r, what, err)
}

func (a *API) isPlatform(p *auth.Principal) bool {
	return p != nil && a.sec != nil && a.sec.PlatformTenant != "" && p.Tenant == a.sec.PlatformTenant
}

// TenantFilter is the tenant a listing must keep to: the one asked for
// (the guard has checked it), or the caller's own; "" (every tenant) only
// for platform principals with a tenant-wide grant.
func (a *API) TenantFilter(r *http.Request) string {
	if t := r.URL.Query().Get("tenant"); t != "" {
		return t
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return ""
	}
	if info, _ := r.Context().Value(gateKey{}).(*gateInfo); a.isPlatform(p) && (info == nil || !info.confined) {
		return ""
	}
	return p.Tenant
}

// Can reports whether the caller of r, which the guard has let in, also
// holds perm for sc, under the guard's tenant rules: for what a handler
// shows only to some of the route's callers (relay addresses, a search by
// full number).
func (a *API) Can(r *http.Request, perm string, sc rbac.Scope) bool {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || a.sec == nil {
		return false
	}
	_, err := a.authorize(r.Context(), p, perm, sc)
	return err == nil
}

// PlatformScope is for resources shared by every tenant (the ban list,
// profiling, flow reloads, token ids): only the platform tenant's grants count.
func (a *API) PlatformScope(*http.Request) rbac.Scope {
	if a.sec == nil {
		return rbac.Scope{}
	}
	return rbac.Scope{Tenant: a.sec.PlatformTenant}
}

// QueryScope derives a request's scope from its tenant, queue and agent
// query parameters.
func QueryScope(r *http.Request) rbac.Scope {
	q := r.URL.Query()
	return rbac.Scope{Tenant: q.Get("tenant"), Queue: q.Get("queue"), Agent: q.Get("agent")}
}

// PathTenant is the scope of a request whose path names its {tenant}.
func PathTenant(r *http.Request) rbac.Scope { return rbac.Scope{Tenant: r.PathValue("tenant")} }
