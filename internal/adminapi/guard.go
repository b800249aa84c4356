package adminapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

type gateKey struct{}

// gateInfo carries what the gate learned out to the audit wrapper.
type gateInfo struct {
	principal *auth.Principal
	tenant    string
	passed    bool
	reason    string
	// confined: a platform principal authorized by a queue- or own-scoped
	// grant; its listings keep to its own tenant (TenantFilter).
	confined bool
}

// Protect guards a route's handler with authentication, authorization
// (its Perm for its Scope) and audit; it implements route.Guard.
func (a *API) Protect(rt route.Route) http.Handler {
	if a.sec == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteError(w, http.StatusServiceUnavailable, "admin API security is not configured")
		})
	}
	if rt.Action == "" {
		rt.Action = rt.Perm
	}
	cfg := a.sec.Auth.Config()
	gate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(gateKey{}).(*gateInfo)
		p, _ := auth.PrincipalFrom(r.Context())
		info.principal = p
		if p.MustChangePassword && !rt.Stale {
			info.reason = "password must be changed"
			httpx.WriteError(w, http.StatusForbidden, "password must be changed first (POST /api/v1/password)")
			return
		}
		if p.SecondFactorDue && !rt.Enrol {
			info.reason = "second factor required"
			httpx.WriteError(w, http.StatusForbidden, "administrators log in with two factors: enrol one (POST /api/v1/totp or PUT /api/v1/sm2-key), then log in with it")
			return
		}
		sc := a.scopeOf(rt, r)
		info.tenant = sc.Tenant
		if info.tenant == "" {
			info.tenant = p.Tenant
		}
		if rt.Perm != route.AnyUser {
			confined, err := a.authorize(r.Context(), p, rt.Perm, sc)
			info.confined = confined
			if err != nil {
				if !errors.Is(err, errs.ErrForbidden) {
					a.log.Error("admin authorize", "perm", rt.Perm, "err", err)
					info.reason = "authorization unavailable"
					httpx.WriteError(w, http.StatusServiceUnavailable, "authorization unavailable")
					return
				}
				info.reason = "lacks " + rt.Perm
				httpx.WriteError(w, http.StatusForbidden, "forbidden")
				return
			}
		}
		info.passed = true
		limit := rt.Limit
		if limit == 0 {
			limit = httpx.DefaultBodyLimit
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		rt.Handler.ServeHTTP(w, r)
	})
	authn := breakGlassAuthn{svc: a.sec.Auth, token: a.token, tenant: a.sec.PlatformTenant}
	return a.audited(rt, auth.NewMiddleware(authn, cfg.CookieName, cfg.CSRFHeader, gate))
}

// authorize checks p's perm for sc. A principal of any tenant but the
// platform's acts only in its own (rbac refuses another). A platform
// principal acts on another tenant, or on every tenant (sc names none), only
// through a tenant-wide grant of its own tenant: a queue or agent id names
// nothing across tenants (tenant acme's agent a1001 is not the platform's),
// so a queue- or own-scoped grant (agent, supervisor, QA) reaches its own
// tenant only, and confined reports that its listings must keep to it.
func (a *API) authorize(ctx context.Context, p *auth.Principal, perm string, sc rbac.Scope) (confined bool, err error) {
	if !a.isPlatform(p) || sc.Tenant == p.Tenant {
		return false, a.sec.RBAC.Authorize(ctx, p, perm, sc)
	}
	wide := rbac.Scope{Tenant: p.Tenant}
	err = a.sec.RBAC.Authorize(ctx, p, perm, wide)
	if sc.Tenant != "" || err == nil || !errors.Is(err, errs.ErrForbidden) || (sc.Queue == "" && sc.Agent == "") {
		return false, err
	}
	sc.Tenant = p.Tenant
	return true, a.sec.RBAC.Authorize(ctx, p, perm, sc)
}

func (a *API) scopeOf(rt route.Route, r *http.Request) (sc rbac.Scope) {
	if rt.Scope != nil {
		sc = rt.Scope(r)
	}
	return sc
}

// withGate is the request context the audit wrapper reads the gate's findings from.
func withGate(ctx context.Context, info *gateInfo) context.Context {
	return context.WithValue(ctx, gateKey{}, info)
}
