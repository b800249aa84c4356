package oaapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/ssotoken"
)

// vouch checks a one-login token from the PBX and brings the OA's copy of
// its user up to date: created on first use (with a random password nobody
// knows: the user logs in through the PBX), holding exactly the token's
// roles among those the OA honours, bound to its agent id. A token names
// its tenant inside its signature, so it opens a session in that tenant
// only, and only in a tenant this OA serves.
func (a *API) vouch(ctx context.Context, token string) (tenant, name, method string, err error) {
	var key *gm.PublicKey
	if a.d.PBXKey != nil && a.d.Security != nil {
		if key, err = a.d.PBXKey.PublicKey(); err != nil {
			return "", "", "", fmt.Errorf("%w: %v", errs.ErrUnavailable, err)
		}
	}
	if key == nil {
		return "", "", "", fmt.Errorf("one login is not configured (sso.pbx_public_key): %w", errs.ErrForbidden)
	}
	c, err := ssotoken.Verify(key, token, "oa", time.Now())
	if err != nil {
		return "", "", "", err
	}
	if !a.tenants[c.Tenant] {
		return "", "", "", fmt.Errorf("%w: tenant %q is not served here", ssotoken.ErrRejected, c.Tenant)
	}
	if err := a.d.OA.UseOnce(ctx, c.ID, time.Unix(c.Expires, 0)); err != nil {
		return "", "", "", fmt.Errorf("%w: %v", ssotoken.ErrRejected, err)
	}
	sec := a.d.Security
	u, err := sec.Auth.FindUser(ctx, c.Tenant, c.Name)
	if errors.Is(err, errs.ErrNotFound) {
		u, err = sec.Auth.CreateUser(ctx, auth.NewUser{Tenant: c.Tenant, Name: c.Name, Password: adminapi.NewPassword(c.Name)})
	}
	if err != nil {
		return "", "", "", err
	}
	held, err := sec.RBAC.Roles(ctx, u.ID, c.Tenant)
	if err != nil {
		return "", "", "", err
	}
	for _, h := range held {
		if rbac.IsAdminRole(h.Role) {
			return "", "", "", fmt.Errorf("%w: %s is an administrator here", ssotoken.ErrRejected, c.Name)
		}
		if !slices.Contains(c.Roles, h.Role) || h.Agent != c.Agent {
			if err := sec.RBAC.RevokeRole(ctx, nil, u.ID, c.Tenant, h.Role); err != nil && !errors.Is(err, errs.ErrNotFound) {
				return "", "", "", err
			}
		}
	}
	held, _ = sec.RBAC.Roles(ctx, u.ID, c.Tenant)
	for _, role := range c.Roles {
		if !slices.Contains(a.d.SSORoles, role) || rbac.IsAdminRole(role) || slices.ContainsFunc(held, func(h rbac.Assignment) bool { return h.Role == role }) {
			continue
		}
		if err := sec.RBAC.AssignRole(ctx, nil, u.ID, c.Tenant, role, rbac.Binding{Agent: c.Agent}); err != nil && !errors.Is(err, errs.ErrConflict) {
			return "", "", "", err
		}
	}
	st, err := a.d.OA.StaffOf(ctx, c.Tenant, u.ID)
	if err != nil {
		return "", "", "", err
	}
	st.Name, st.Agent = u.Name, c.Agent
	if err := a.d.OA.PutStaff(ctx, c.Tenant, st); err != nil {
		return "", "", "", err
	}
	return c.Tenant, c.Name, "sso", nil
}
