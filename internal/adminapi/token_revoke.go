package adminapi

import "net/http"

func (a *API) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := a.sec.Auth.RevokeAPIToken(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, r, "revoke token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
