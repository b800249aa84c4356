package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
)

func (a *API) permissionRevoke(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.sec.RBAC.RevokePermission(r.Context(), p, p.Tenant, r.PathValue("role"), r.PathValue("perm")); err != nil {
		a.fail(w, r, "revoke grant", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
