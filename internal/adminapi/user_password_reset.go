package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// userPasswordReset sets a new password ({"password"} or generated and
// shown once) that must be changed at next login; the user's sessions end.
// Not for an administrator, nor for a user with roles the caller could not
// give itself (credential_target.go).
func (a *API) userPasswordReset(w http.ResponseWriter, r *http.Request) {
	u, ok := a.userIn(w, r)
	if !ok {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.checkCredentialTarget(r.Context(), p, u.Tenant, u.ID, impersonation); err != nil {
		a.fail(w, r, "reset password", err)
		return
	}
	var b struct {
		Password string `json:"password"`
	}
	if r.ContentLength != 0 && !httpx.ReadJSON(w, r, &b) {
		return
	}
	generated := b.Password == ""
	if generated {
		b.Password = NewPassword(u.Name)
	}
	if err := a.sec.Auth.SetPassword(r.Context(), u.ID, b.Password); err != nil {
		a.fail(w, r, "reset password", err)
		return
	}
	out := map[string]string{"id": u.ID}
	if generated {
		out["password"] = b.Password
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
}
