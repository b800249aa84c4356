package adminapi

import (
	"errors"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
)

// permissionGrant gives a business role a permission: {"permission", "scope"}.
// The three administrator roles are fixed.
func (a *API) permissionGrant(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	var b grantJSON
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	err := a.sec.RBAC.GrantPermission(r.Context(), p, p.Tenant, r.PathValue("role"), b.Permission, b.Scope)
	if errors.Is(err, errs.ErrConflict) {
		httpx.WriteError(w, http.StatusConflict, "the role already has that permission")
		return
	}
	if err != nil {
		a.fail(w, r, "grant", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
