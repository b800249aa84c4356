package boot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
)

// ctiAuth authenticates CTI connections: first against the bootstrap token
// file (demo, tests), then as an API token or a session issued through the
// admin API, whose subject's roles in its tenant make the CTI principal:
//
//	rbac role        CTI principal
//	agent            role agent, acting as the agent id on the role binding
//	supervisor       role supervisor over the tenant (agent: the binding's, if any, to monitor from)
//	cti_system       role system: every event, screen pops (the OA)
//
// Other roles give nothing on the CTI; a credential with none of these is
// refused, as is an agent binding naming no agent of the tenant's ACD.
// What the principal may do comes from the subject's RBAC permissions and
// their scopes (cti.Principal.Grants), not from the role names: a
// permission revoked from a role, or a supervisor bound to some queues,
// is what the CTI enforces.
type ctiAuth struct {
	static *cti.StaticTokens
	creds  credentialSource // nil: the token file only
	roles  roleSource
	agents agentSource
}

type credentialSource interface {
	AuthenticateCredential(ctx context.Context, token string) (*auth.Principal, error)
}

type roleSource interface {
	Roles(ctx context.Context, userID, tenant string) ([]rbac.Assignment, error)
	Rights(ctx context.Context, userID, tenant string, perms ...string) ([]rbac.Right, error)
}

type agentSource interface {
	Agent(ctx context.Context, tenant, agentID string) (acd.AgentStatus, error)
}

var _ cti.Authenticator = ctiAuth{}

var errNoCTIRole = fmt.Errorf("cti: the credential's subject holds no CTI role (agent, supervisor, %s): %w", rbac.RoleCTISystem, errs.ErrForbidden)

func (a ctiAuth) Authenticate(ctx context.Context, token string) (cti.Principal, error) {
	p, err := a.static.Authenticate(ctx, token)
	if err == nil || a.creds == nil {
		return p, err
	}
	ap, err := a.creds.AuthenticateCredential(ctx, token)
	if err != nil {
		return cti.Principal{}, err
	}
	if ap.MustChangePassword {
		return cti.Principal{}, fmt.Errorf("cti: %w", auth.ErrPasswordChangeDue)
	}
	held, err := a.roles.Roles(ctx, ap.UserID, ap.Tenant)
	if err != nil {
		return cti.Principal{}, err
	}
	p, err = a.principal(ctx, ap.Tenant, held)
	if err != nil {
		return p, err
	}
	rights, err := a.roles.Rights(ctx, ap.UserID, ap.Tenant, cti.Permissions()...)
	if err != nil {
		return cti.Principal{}, err
	}
	p.Grants = ctiGrants(rights)
	return p, nil
}

// ctiGrants turns RBAC rights into the CTI's grants, in a fixed order so a
// recheck can compare them. An empty list still means "checked, nothing".
func ctiGrants(rights []rbac.Right) []cti.Grant {
	out := make([]cti.Grant, 0, len(rights))
	for _, r := range rights {
		out = append(out, cti.Grant{Perm: r.Permission, Scope: r.Scope, Queues: slices.Sorted(slices.Values(r.Queues))})
	}
	slices.SortFunc(out, func(a, b cti.Grant) int {
		return strings.Compare(a.Perm+"|"+a.Scope+"|"+strings.Join(a.Queues, ","), b.Perm+"|"+b.Scope+"|"+strings.Join(b.Queues, ","))
	})
	return slices.CompactFunc(out, func(a, b cti.Grant) bool {
		return a.Perm == b.Perm && a.Scope == b.Scope && slices.Equal(a.Queues, b.Queues)
	})
}

// principal maps rbac assignments to a CTI principal; roles come out in a
// fixed order so a recheck can compare them.
func (a ctiAuth) principal(ctx context.Context, tenant string, held []rbac.Assignment) (cti.Principal, error) {
	p := cti.Principal{Tenant: tenant}
	var supervisorAgent string
	for _, h := range held {
		switch h.Role {
		case rbac.RoleAgent:
			if h.Agent == "" {
				return cti.Principal{}, fmt.Errorf("cti: agent role without an agent id on its binding: %w", errs.ErrForbidden)
			}
			p.Agent = h.Agent
			p.Roles = append(p.Roles, protocol.RoleAgent)
		case rbac.RoleSupervisor:
			supervisorAgent = h.Agent
			p.Roles = append(p.Roles, protocol.RoleSupervisor)
		case rbac.RoleCTISystem:
			p.Roles = append(p.Roles, protocol.RoleSystem)
		}
	}
	if len(p.Roles) == 0 {
		return cti.Principal{}, errNoCTIRole
	}
	if p.Agent == "" {
		p.Agent = supervisorAgent
	}
	slices.Sort(p.Roles)
	if p.Agent != "" {
		if _, err := a.agents.Agent(ctx, tenant, p.Agent); err != nil {
			if errors.Is(err, errs.ErrNotFound) {
				return cti.Principal{}, fmt.Errorf("cti: agent %q is not an agent of tenant %q: %w", p.Agent, tenant, errs.ErrForbidden)
			}
			return cti.Principal{}, err
		}
	}
	return p, nil
}

// newCTIAuth takes the bootstrap tokens and, with the admin API's security
// in place, the credentials it issues.
func newCTIAuth(tokens map[string]cti.Principal, sec *adminapi.Security, agents agentSource) ctiAuth {
	a := ctiAuth{static: cti.NewStaticTokens(tokens), agents: agents}
	if sec != nil && sec.Auth != nil && sec.RBAC != nil {
		a.creds, a.roles = sec.Auth, sec.RBAC
	}
	return a
}
