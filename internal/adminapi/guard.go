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
			if err := a.sec.RBAC.Authorize(r.Context(), p, rt.Perm, a.effectiveScope(p, sc)); err != nil {
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
