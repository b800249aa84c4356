package adminapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/ssotoken"
)

// SSOAudiences are the servers a one-login token may be issued for.
var SSOAudiences = []string{"oa"}

// SSORoute is POST /api/v1/sso/token: a logged-in user's one-login token
// for another yimen server (the OA), signed with key, naming the user's
// tenant, roles and agent id and living at most ssotoken.MaxLifetime. Only
// a person's session may ask (an API token may not), and not an
// administrator's: they log in to each server with their two factors.
func (a *API) SSORoute(issuer string, key *gm.PrivateKey) route.Route {
	return route.Route{Method: "POST", Pattern: "/api/v1/sso/token", Perm: route.AnyUser, Action: "auth.sso.issue", Limit: 1 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var b struct {
				Audience string `json:"audience"`
			}
			if !httpx.ReadJSON(w, r, &b) {
				return
			}
			if !slices.Contains(SSOAudiences, b.Audience) {
				httpx.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "unknown audience", "fields": map[string]string{"audience": "one of oa"}})
				return
			}
			p, _ := auth.PrincipalFrom(r.Context())
			if p.Kind != auth.KindUser {
				httpx.WriteError(w, http.StatusForbidden, "one-login tokens are for a person's session, not an API token")
				return
			}
			held, err := a.sec.RBAC.Roles(r.Context(), p.UserID, p.Tenant)
			if err != nil {
				a.fail(w, r, "read roles", err)
				return
			}
			c := ssotoken.Claims{Issuer: issuer, Audience: b.Audience, Tenant: p.Tenant, Subject: p.UserID, Name: p.Name, Roles: []string{}}
			for _, h := range held {
				if rbac.IsAdminRole(h.Role) {
					httpx.WriteError(w, http.StatusForbidden, "administrators log in to each server with two factors")
					return
				}
				c.Roles = append(c.Roles, h.Role)
				if h.Agent != "" {
					c.Agent = h.Agent
				}
			}
			tok, c, err := ssotoken.Issue(key, c, time.Now())
			if err != nil {
				a.fail(w, r, "issue a one-login token", err)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			httpx.WriteJSON(w, http.StatusOK, map[string]any{"token": tok, "audience": c.Audience, "expires_at": time.Unix(c.Expires, 0).UTC()})
		})}
}
