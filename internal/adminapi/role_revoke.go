package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
)

func (a *API) roleRevoke(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.sec.RBAC.RevokeRole(r.Context(), p, r.PathValue("id"), p.Tenant, r.PathValue("role")); err != nil {
		a.fail(w, r, "revoke role", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
