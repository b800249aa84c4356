package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
)

type grantJSON struct {
	Permission string `json:"permission"`
	Scope      string `json:"scope"`
}

// roleCatalogue lists the built-in roles with their default grants and
// every permission (what may be granted).
func (a *API) roleCatalogue(w http.ResponseWriter, r *http.Request) {
	roles := map[string][]grantJSON{}
	for _, role := range rbac.BuiltinRoles() {
		for _, g := range rbac.DefaultGrants(role) {
			roles[role] = append(roles[role], grantJSON{g.Permission, g.Scope})
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"roles": roles, "permissions": rbac.Permissions(), "admin_roles": rbac.AdminRoles()})
}
