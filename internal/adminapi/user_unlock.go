package adminapi

import (
	"errors"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
)

// userUnlock lifts an account's lockout before it expires. An
// administrator's lockout only the break-glass token lifts
// (credential_target.go).
func (a *API) userUnlock(w http.ResponseWriter, r *http.Request) {
	// An unknown name can be locked too (lockout counts guesses): it holds no role.
	u, err := a.sec.Auth.FindUser(r.Context(), r.PathValue("tenant"), r.PathValue("name"))
	if err == nil {
		p, _ := auth.PrincipalFrom(r.Context())
		err = a.checkCredentialTarget(r.Context(), p, u.Tenant, u.ID, unlockAction)
	}
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		a.fail(w, r, "unlock", err)
		return
	}
	if err := a.sec.Auth.Unlock(r.Context(), r.PathValue("tenant"), r.PathValue("name")); err != nil {
		a.fail(w, r, "unlock", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
