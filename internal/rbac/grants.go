package rbac

import (
	"context"
	"fmt"
	"slices"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/errs"
)

// Changing grants needs role.write (secadmin) in the tenant, except when
// actor is nil: that is the process itself (tenant seeding, the bootstrap
// command), audited as "system".

func (s *Service) requireRoleWrite(ctx context.Context, actor Principal, tenant string) error {
	if actor == nil {
		return nil
	}
	return s.Authorize(ctx, actor, PermRoleWrite, Scope{Tenant: tenant})
}

func actorName(actor Principal) string {
	if actor == nil {
		return "system"
	}
	return actor.PrincipalID()
}

func (s *Service) record(ctx context.Context, tenant string, actor Principal, action, target, outcome, detail string) {
	s.log.InfoContext(ctx, "rbac change", "action", action, "tenant", tenant, "actor", actorName(actor), "target", target, "outcome", outcome)
	if s.audit == nil {
		return
	}
	if _, err := s.audit.Append(ctx, audit.Entry{Time: s.now(), Tenant: tenant, Actor: actorName(actor), Action: action, Target: target, Outcome: outcome, Detail: detail}); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "err", err)
	}
}

// SeedTenant gives tenant the built-in roles with their default permissions.
// It adds what is missing, changes nothing that exists, and leaves a
// default permission the security administrator revoked revoked.
func (s *Service) SeedTenant(ctx context.Context, tenant string) error {
	if tenant == "" {
		return fmt.Errorf("rbac: empty tenant: %w", errs.ErrInvalid)
	}
	return s.st.db.InTx(ctx, func(ctx context.Context) error {
		for _, role := range BuiltinRoles() {
			for _, g := range DefaultGrants(role) {
				ok, err := s.st.hasRolePerm(ctx, tenant, role, g.Permission)
				if err != nil {
					return err
				}
				if ok {
					continue
				}
				if revoked, err := s.st.wasRevoked(ctx, tenant, role, g.Permission); err != nil || revoked {
					if err != nil {
						return err
					}
					continue
				}
				if err := s.insertRolePerm(ctx, tenant, role, g); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (s *Service) insertRolePerm(ctx context.Context, tenant, role string, g Grant) error {
	id, err := s.st.nextID(ctx, tableRolePerms)
	if err != nil {
		return err
	}
	r := rolePermRow{id: id, tenant: tenant, role: role, permission: g.Permission, scp: g.Scope}
	r.tag = s.tagRolePerm(r)
	return s.st.insertRolePerm(ctx, r)
}

// GrantPermission gives role perm with scope in tenant. The administrator
// roles cannot be edited and administrator permissions cannot be granted to
// other roles.
func (s *Service) GrantPermission(ctx context.Context, actor Principal, tenant, role, perm, scope string) error {
	if err := s.requireRoleWrite(ctx, actor, tenant); err != nil {
		s.record(ctx, tenant, actor, "rbac.permission.grant", role+":"+perm, audit.OutcomeDenied, "")
		return err
	}
	if err := checkEditable(role, perm); err != nil {
		s.record(ctx, tenant, actor, "rbac.permission.grant", role+":"+perm, audit.OutcomeDenied, err.Error())
		return err
	}
	if !slices.Contains(Permissions(), perm) {
		return fmt.Errorf("rbac: unknown permission %q: %w", perm, errs.ErrInvalid)
	}
	if scope != ScopeTenant && scope != ScopeQueue && scope != ScopeOwn {
		return fmt.Errorf("rbac: unknown scope %q: %w", scope, errs.ErrInvalid)
	}
	err := s.st.db.InTx(ctx, func(ctx context.Context) error {
		return s.insertRolePerm(ctx, tenant, role, Grant{perm, scope})
	})
	if err != nil {
		return err
	}
	s.record(ctx, tenant, actor, "rbac.permission.grant", role+":"+perm, audit.OutcomeOK, "scope "+scope)
	return nil
}

// RevokePermission removes perm from role in tenant.
func (s *Service) RevokePermission(ctx context.Context, actor Principal, tenant, role, perm string) error {
	if err := s.requireRoleWrite(ctx, actor, tenant); err != nil {
		s.record(ctx, tenant, actor, "rbac.permission.revoke", role+":"+perm, audit.OutcomeDenied, "")
		return err
	}
	if err := checkEditable(role, perm); err != nil {
		s.record(ctx, tenant, actor, "rbac.permission.revoke", role+":"+perm, audit.OutcomeDenied, err.Error())
		return err
	}
	if err := s.st.deleteRolePerm(ctx, tenant, role, perm, s.now().UnixMilli()); err != nil {
		return err
	}
	s.record(ctx, tenant, actor, "rbac.permission.revoke", role+":"+perm, audit.OutcomeOK, "")
	return nil
}

func checkEditable(role, perm string) error {
	if IsAdminRole(role) {
		return fmt.Errorf("rbac: administrator role %s is fixed: %w", role, errs.ErrForbidden)
	}
	if IsAdminPermission(perm) {
		return fmt.Errorf("rbac: %s belongs to an administrator role only: %w", perm, errs.ErrForbidden)
	}
	if role == "" {
		return fmt.Errorf("rbac: empty role: %w", errs.ErrInvalid)
	}
	return nil
}

// AssignRole gives userID role in tenant. An administrator role must be the
// user's only role, and no one may assign roles to themselves.
func (s *Service) AssignRole(ctx context.Context, actor Principal, userID, tenant, role string, b Binding) error {
	target := userID + ":" + role
	if err := s.requireRoleWrite(ctx, actor, tenant); err != nil {
		s.record(ctx, tenant, actor, "rbac.role.assign", target, audit.OutcomeDenied, "")
		return err
	}
	if actor != nil && actor.PrincipalID() == userID {
		s.record(ctx, tenant, actor, "rbac.role.assign", target, audit.OutcomeDenied, "self-assignment")
		return fmt.Errorf("rbac: no one may assign roles to themselves: %w", errs.ErrForbidden)
	}
	if userID == "" || role == "" {
		return fmt.Errorf("rbac: user and role required: %w", errs.ErrInvalid)
	}
	queues, err := joinQueues(b.Queues)
	if err != nil {
		return err
	}
	err = s.st.db.InTx(ctx, func(ctx context.Context) error {
		held, err := s.st.userRolesOf(ctx, userID, tenant)
		if err != nil {
			return err
		}
		for _, h := range held {
			if IsAdminRole(h.role) || (IsAdminRole(role) && h.role != role) {
				return fmt.Errorf("rbac: %s holds %s; an administrator role cannot be combined with another role: %w", userID, h.role, errs.ErrForbidden)
			}
		}
		perms, err := s.st.rolePermsOf(ctx, tenant, role)
		if err != nil {
			return err
		}
		if len(perms) == 0 {
			return fmt.Errorf("rbac: role %s has no permissions in tenant %s: %w", role, tenant, errs.ErrNotFound)
		}
		id, err := s.st.nextID(ctx, tableUserRoles)
		if err != nil {
			return err
		}
		r := userRoleRow{id: id, userID: userID, tenant: tenant, role: role, queues: queues, agnt: b.Agent}
		r.tag = s.tagUserRole(r)
		return s.st.insertUserRole(ctx, r)
	})
	if err != nil {
		s.record(ctx, tenant, actor, "rbac.role.assign", target, audit.OutcomeDenied, err.Error())
		return err
	}
	s.record(ctx, tenant, actor, "rbac.role.assign", target, audit.OutcomeOK, "")
	return nil
}

// RevokeRole removes role from userID in tenant.
func (s *Service) RevokeRole(ctx context.Context, actor Principal, userID, tenant, role string) error {
	target := userID + ":" + role
	if err := s.requireRoleWrite(ctx, actor, tenant); err != nil {
		s.record(ctx, tenant, actor, "rbac.role.revoke", target, audit.OutcomeDenied, "")
		return err
	}
	if err := s.st.deleteUserRole(ctx, userID, tenant, role, s.now().UnixMilli()); err != nil {
		return err
	}
	s.record(ctx, tenant, actor, "rbac.role.revoke", target, audit.OutcomeOK, "")
	return nil
}

// Roles lists the roles userID holds in tenant (tags checked).
func (s *Service) Roles(ctx context.Context, userID, tenant string) ([]Assignment, error) {
	rows, err := s.st.userRolesOf(ctx, userID, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]Assignment, 0, len(rows))
	for _, r := range rows {
		if !s.userRoleOK(r) {
			bad := BadRow{tableUserRoles, r.id}
			s.raise(ctx, Alarm{Row: bad, UserID: userID, Tenant: tenant})
			return nil, fmt.Errorf("rbac: integrity check failed at %s: %w", bad, errs.ErrForbidden)
		}
		out = append(out, Assignment{UserID: r.userID, Tenant: r.tenant, Role: r.role, Binding: Binding{Queues: splitQueues(r.queues), Agent: r.agnt}})
	}
	return out, nil
}
