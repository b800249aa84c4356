package adminapi

import (
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// userPrincipal is the caller when it is a person with a session: API
// tokens and the break-glass token have no password or second factor.
func userPrincipal(w http.ResponseWriter, r *http.Request) (*auth.Principal, bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.Kind != auth.KindUser {
		httpx.WriteError(w, http.StatusBadRequest, "only a logged-in user has a password, TOTP or SM2 key")
		return nil, false
	}
	return p, true
}

// presentedSession is the caller's session token (bearer or cookie).
func (a *API) presentedSession(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if c, err := r.Cookie(a.sec.Auth.Config().CookieName); err == nil {
		return c.Value
	}
	return ""
}
