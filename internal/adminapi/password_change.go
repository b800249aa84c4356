package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

// passwordChange lets users replace their own password; it is allowed
// while the password must be changed. Other sessions of the user end.
func (a *API) passwordChange(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	if err := a.sec.Auth.ChangePassword(r.Context(), p.UserID, b.Old, b.New, a.presentedSession(r)); err != nil {
		a.fail(w, r, "change password", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
