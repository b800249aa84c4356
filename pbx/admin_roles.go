package pbx

import (
	"errors"
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
)

// roleRoutes mounts the security administrator's endpoints. Grants live per
// tenant and rbac lets only a tenant's own role.write change them, so these
// act in the caller's tenant. internal/rbac audits every change itself.
func (s *Server) roleRoutes(mux *http.ServeMux) {
	read := func(action string, h http.HandlerFunc) http.Handler {
		return s.protect(route{action: action, perm: rbac.PermRoleRead}, h)
	}
	write := func(action string, h http.HandlerFunc) http.Handler {
		return s.protect(route{action: action, perm: rbac.PermRoleWrite, self: true}, h)
	}
	mux.Handle("GET /api/v1/roles", read("role.catalogue", s.handleRoleCatalogue))
	mux.Handle("GET /api/v1/users/{id}/roles", read("role.list", s.handleUserRoles))
	mux.Handle("POST /api/v1/users/{id}/roles", write("rbac.role.assign", s.handleAssignRole))
	mux.Handle("DELETE /api/v1/users/{id}/roles/{role}", write("rbac.role.revoke", s.handleRevokeRole))
	mux.Handle("POST /api/v1/roles/{role}/permissions", write("rbac.permission.grant", s.handleGrant))
	mux.Handle("DELETE /api/v1/roles/{role}/permissions/{perm}", write("rbac.permission.revoke", s.handleRevokeGrant))
}

type grantJSON struct {
	Permission string `json:"permission"`
	Scope      string `json:"scope"`
}

// handleRoleCatalogue lists the built-in roles with their default grants and
// every permission (what may be granted).
func (s *Server) handleRoleCatalogue(w http.ResponseWriter, r *http.Request) {
	roles := map[string][]grantJSON{}
	for _, role := range rbac.BuiltinRoles() {
		for _, g := range rbac.DefaultGrants(role) {
			roles[role] = append(roles[role], grantJSON{g.Permission, g.Scope})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": roles, "permissions": rbac.Permissions(), "admin_roles": rbac.AdminRoles()})
}

func (s *Server) handleUserRoles(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	list, err := s.sec.RBAC.Roles(r.Context(), r.PathValue("id"), p.Tenant)
	if err != nil {
		s.writeAdminErr(w, r, "list roles", err)
		return
	}
	type assignment struct {
		Role   string   `json:"role"`
		Queues []string `json:"queues"`
		Agent  string   `json:"agent"`
	}
	out := make([]assignment, 0, len(list))
	for _, a := range list {
		out = append(out, assignment{a.Role, a.Queues, a.Agent})
	}
	writeJSON(w, http.StatusOK, out)
}

// subjectInTenant checks that id is a user of tenant, or a machine subject
// ("svc:…") for API tokens: roles for someone in another tenant would be
// inert, and usually a mistake.
func (s *Server) subjectInTenant(r *http.Request, id, tenant string) error {
	if strings.HasPrefix(id, "svc:") || id == BreakGlassSubject {
		return nil
	}
	u, err := s.sec.Auth.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	if u.Tenant != tenant {
		return errs.ErrNotFound
	}
	return nil
}

// handleAssignRole gives a user a role in the caller's tenant:
// {"role", "queues"?: [...], "agent"?}.
func (s *Server) handleAssignRole(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	var b struct {
		Role   string   `json:"role"`
		Queues []string `json:"queues"`
		Agent  string   `json:"agent"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if err := s.subjectInTenant(r, id, p.Tenant); err != nil {
		s.writeAdminErr(w, r, "assign role", err)
		return
	}
	if err := s.sec.RBAC.AssignRole(r.Context(), p, id, p.Tenant, b.Role, rbac.Binding{Queues: b.Queues, Agent: b.Agent}); err != nil {
		s.writeAdminErr(w, r, "assign role", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRevokeRole(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	if err := s.sec.RBAC.RevokeRole(r.Context(), p, r.PathValue("id"), p.Tenant, r.PathValue("role")); err != nil {
		s.writeAdminErr(w, r, "revoke role", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleGrant gives a business role a permission: {"permission", "scope"}.
// The three administrator roles are fixed.
func (s *Server) handleGrant(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	var b grantJSON
	if !decodeJSON(w, r, &b) {
		return
	}
	err := s.sec.RBAC.GrantPermission(r.Context(), p, p.Tenant, r.PathValue("role"), b.Permission, b.Scope)
	if errors.Is(err, errs.ErrConflict) {
		writeError(w, http.StatusConflict, "the role already has that permission")
		return
	}
	if err != nil {
		s.writeAdminErr(w, r, "grant", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRevokeGrant(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	if err := s.sec.RBAC.RevokePermission(r.Context(), p, p.Tenant, r.PathValue("role"), r.PathValue("perm")); err != nil {
		s.writeAdminErr(w, r, "revoke grant", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
