package adminapi

import "net/http"

// userUnlock lifts an account's lockout before it expires.
func (a *API) userUnlock(w http.ResponseWriter, r *http.Request) {
	if err := a.sec.Auth.Unlock(r.Context(), r.PathValue("tenant"), r.PathValue("name")); err != nil {
		a.fail(w, r, "unlock", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
