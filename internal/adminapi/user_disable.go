package adminapi

import "net/http"

// userDisable disables (or enables again) an account; a disabled user's
// sessions and logins are refused.
func (a *API) userDisable(disabled bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := a.userIn(w, r)
		if !ok {
			return
		}
		if err := a.sec.Auth.SetDisabled(r.Context(), u.ID, disabled); err != nil {
			a.fail(w, r, "disable user", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
