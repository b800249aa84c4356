package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/httpx"
)

// sm2KeySet registers the caller's SM2 public key (PEM) for
// challenge-response login.
func (a *API) sm2KeySet(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		PublicKey string `json:"public_key"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	pub, err := gm.DecodePublicKeyPEM([]byte(b.PublicKey))
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "public_key must be an SM2 public key in PEM")
		return
	}
	if err := a.sec.Auth.RegisterSM2Key(r.Context(), p.UserID, pub); err != nil {
		a.fail(w, r, "register sm2 key", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
