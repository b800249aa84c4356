package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/httpx"
)

// sm2KeySet registers the caller's SM2 public key for challenge-response
// login: {"public_key" (PEM), "password", "totp"?}; the current password,
// and the current code while TOTP is active, are required (auth.Proof).
func (a *API) sm2KeySet(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		PublicKey string `json:"public_key"`
		Password  string `json:"password"`
		TOTP      string `json:"totp"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	pub, err := gm.DecodePublicKeyPEM([]byte(b.PublicKey))
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "public_key must be an SM2 public key in PEM")
		return
	}
	if err := a.sec.Auth.RegisterSM2Key(r.Context(), p.UserID, pub, auth.Proof{Password: b.Password, TOTP: b.TOTP}); err != nil {
		a.fail(w, r, "register sm2 key", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
