package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

// totpConfirm activates the second factor totpEnroll started: {"code"}.
func (a *API) totpConfirm(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		Code string `json:"code"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	if err := a.sec.Auth.ConfirmTOTP(r.Context(), p.UserID, b.Code); err != nil {
		a.fail(w, r, "confirm totp", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
