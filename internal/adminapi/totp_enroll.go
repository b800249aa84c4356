package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// totpEnroll starts a second factor for the caller: {"algorithm":
// "SM3"|"SHA1", "password", "totp"?}; the current password, and the current
// code while TOTP is active, are required (auth.Proof). The secret is shown
// once; totpConfirm activates it.
func (a *API) totpEnroll(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	b := struct {
		Algorithm string `json:"algorithm"`
		Password  string `json:"password"`
		TOTP      string `json:"totp"`
	}{Algorithm: auth.TOTPSM3}
	if r.ContentLength != 0 && !httpx.ReadJSON(w, r, &b) {
		return
	}
	secret, uri, err := a.sec.Auth.EnrollTOTP(r.Context(), p.UserID, b.Algorithm, auth.Proof{Password: b.Password, TOTP: b.TOTP})
	if err != nil {
		a.fail(w, r, "enroll totp", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"secret": secret, "uri": uri})
}
