package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// totpEnroll starts a second factor for the caller: {"algorithm": "SM3"|"SHA1"}.
// The secret is shown once; totpConfirm activates it.
func (a *API) totpEnroll(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	b := struct {
		Algorithm string `json:"algorithm"`
	}{Algorithm: auth.TOTPSM3}
	if r.ContentLength != 0 && !httpx.ReadJSON(w, r, &b) {
		return
	}
	secret, uri, err := a.sec.Auth.EnrollTOTP(r.Context(), p.UserID, b.Algorithm)
	if err != nil {
		a.fail(w, r, "enroll totp", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"secret": secret, "uri": uri})
}
