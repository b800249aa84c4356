package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// userRoles lists a user's roles in the caller's tenant.
func (a *API) userRoles(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	list, err := a.sec.RBAC.Roles(r.Context(), r.PathValue("id"), p.Tenant)
	if err != nil {
		a.fail(w, r, "list roles", err)
		return
	}
	type assignment struct {
		Role   string   `json:"role"`
		Queues []string `json:"queues"`
		Agent  string   `json:"agent"`
	}
	out := make([]assignment, 0, len(list))
	for _, x := range list {
		out = append(out, assignment{x.Role, x.Queues, x.Agent})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
