package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
)

// userDisable disables (or enables again) an account; a disabled user's
// sessions and logins are refused. Not for an administrator
// (credential_target.go).
func (a *API) userDisable(disabled bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := a.userIn(w, r)
		if !ok {
			return
		}
		p, _ := auth.PrincipalFrom(r.Context())
		if err := a.checkCredentialTarget(r.Context(), p, u.Tenant, u.ID, lockAction); err != nil {
			a.fail(w, r, "disable user", err)
			return
		}
		if err := a.sec.Auth.SetDisabled(r.Context(), u.ID, disabled); err != nil {
			a.fail(w, r, "disable user", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
