package adminapi

import (
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
)

// roleAssign gives a user a role in the caller's tenant:
// {"role", "queues"?: [...], "agent"?}.
func (a *API) roleAssign(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	var b struct {
		Role   string   `json:"role"`
		Queues []string `json:"queues"`
		Agent  string   `json:"agent"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if err := a.subjectInTenant(r, id, p.Tenant); err != nil {
		a.fail(w, r, "assign role", err)
		return
	}
	// An API token has no second factor: no administrator role for a machine.
	if rbac.IsAdminRole(b.Role) && strings.HasPrefix(id, "svc:") {
		httpx.WriteError(w, http.StatusForbidden, "administrator roles are for people who log in with two factors, not for API tokens")
		return
	}
	if err := a.sec.RBAC.AssignRole(r.Context(), p, id, p.Tenant, b.Role, rbac.Binding{Queues: b.Queues, Agent: b.Agent}); err != nil {
		a.fail(w, r, "assign role", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// subjectInTenant checks that id is a user of tenant, or a machine subject
// ("svc:…") for API tokens: roles for someone in another tenant would be
// inert, and usually a mistake.
func (a *API) subjectInTenant(r *http.Request, id, tenant string) error {
	if strings.HasPrefix(id, "svc:") || id == BreakGlassSubject {
		return nil
	}
	u, err := a.sec.Auth.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	if u.Tenant != tenant {
		return errs.ErrNotFound
	}
	return nil
}
