package adminapi

import (
	"context"
	"fmt"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
)

// The system administrator manages accounts (user.write) but must not
// become anyone with other rights: 三员分立 fails the moment one
// administrator can reset another's password and log in as them, or mint a
// token for a subject that holds a business role and read what that role
// reads. So credential actions are checked against the roles of their
// target, not only against the caller's permission:
//
//   - no one acts through the admin API on the credentials of an
//     administrator (password reset, disable, enable, unlock, API token):
//     each administrator changes their own password; an administrator's
//     reset or re-enabling is done out of band (docs/security.md). Only the
//     break-glass token may unlock a locked administrator, which gives it
//     nothing it did not have;
//   - a password reset or a token, which let the caller act as the
//     target, is refused for a target holding any role the caller could
//     not give itself (role.write in the target's tenant): the security
//     administrator revokes the roles first, the system administrator
//     resets, the security administrator assigns them again.

// ErrOtherDuty refuses a credential action that would cross the separation of duties.
var ErrOtherDuty = fmt.Errorf("adminapi: the target's roles are not the caller's to take on (三员分立): %w", errs.ErrForbidden)

// credentialAction says what a credential action gives the caller.
type credentialAction int

const (
	// lockAction (disable, enable) changes whether the target can log
	// in, but gives the caller nothing of the target's.
	lockAction credentialAction = iota
	// unlockAction lifts a lockout; the break-glass token may do it for
	// an administrator.
	unlockAction
	// impersonation (password reset, API token) lets the caller act as
	// the target.
	impersonation
)

// checkCredentialTarget refuses action on subject (a user id or a "svc:"
// subject of tenant) when it would cross the separation of duties.
func (a *API) checkCredentialTarget(ctx context.Context, p *auth.Principal, tenant, subject string, action credentialAction) error {
	held, err := a.sec.RBAC.Roles(ctx, subject, tenant)
	if err != nil {
		return err
	}
	for _, h := range held {
		if rbac.IsAdminRole(h.Role) && !(action == unlockAction && p.Method == "breakglass") {
			return fmt.Errorf("%s holds %s: %w", subject, h.Role, ErrOtherDuty)
		}
	}
	if action == impersonation && len(held) > 0 {
		if _, err := a.authorize(ctx, p, rbac.PermRoleWrite, rbac.Scope{Tenant: tenant}); err != nil {
			return fmt.Errorf("%s holds %s: %w", subject, held[0].Role, ErrOtherDuty)
		}
	}
	return nil
}
