package cti

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// Principal is who a connection acts as.
type Principal struct {
	Tenant string
	Agent  string   // the agent id this principal is, if any
	Roles  []string // protocol.RoleAgent, RoleSupervisor, RoleSystem, RoleWallboard
	// Grants are the rights commands and subscriptions are checked
	// against. An Authenticator backed by RBAC fills them from the
	// credential's permissions; when nil they follow from Roles
	// (RoleGrants: the bootstrap token file).
	Grants []Grant
}

// The permissions the CTI checks; they are RBAC's names.
const (
	PermCallControl = "call.control"      // call commands for an agent
	PermAgentState  = "agent.state.write" // agent state commands, force_state
	PermCallMonitor = "call.monitor"      // listen, whisper, barge on an agent's call
	PermQueueRead   = "queue.read"        // queue and tenant topics, other agents' topics
	PermScreenPop   = "cti.screenpop"     // send screen pops
)

// Grant scopes, as RBAC's.
const (
	ScopeTenant = "tenant" // every agent and queue of the tenant
	ScopeQueue  = "queue"  // the agents and topics of Queues
	ScopeOwn    = "own"    // the principal's own agent
)

// Grant is one right: a permission over a scope.
type Grant struct {
	Perm   string
	Scope  string
	Queues []string // ScopeQueue
}

// Permissions lists the permissions an RBAC-backed Authenticator should
// look up for a principal.
func Permissions() []string {
	return []string{PermCallControl, PermAgentState, PermCallMonitor, PermQueueRead, PermScreenPop}
}

// RoleGrants are the rights a principal given by role names alone holds.
func RoleGrants(roles []string) []Grant {
	var out []Grant
	for _, r := range roles {
		switch r {
		case protocol.RoleAgent:
			out = append(out, Grant{PermCallControl, ScopeOwn, nil}, Grant{PermAgentState, ScopeOwn, nil})
		case protocol.RoleSupervisor:
			for _, p := range []string{PermCallControl, PermAgentState, PermCallMonitor, PermQueueRead} {
				out = append(out, Grant{p, ScopeTenant, nil})
			}
		case protocol.RoleSystem:
			for _, p := range []string{PermCallControl, PermAgentState, PermQueueRead, PermScreenPop} {
				out = append(out, Grant{p, ScopeTenant, nil})
			}
		case protocol.RoleWallboard:
			out = append(out, Grant{PermQueueRead, ScopeTenant, nil})
		}
	}
	return out
}

// grants is p's rights: its Grants, or those of its roles.
func (p Principal) grants() []Grant {
	if p.Grants != nil {
		return p.Grants
	}
	return RoleGrants(p.Roles)
}

// sameRights reports whether p and q may do the same things.
func (p Principal) sameRights(q Principal) bool {
	return p.Tenant == q.Tenant && p.Agent == q.Agent && slices.Equal(p.Roles, q.Roles) &&
		slices.EqualFunc(p.grants(), q.grants(), func(a, b Grant) bool {
			return a.Perm == b.Perm && a.Scope == b.Scope && slices.Equal(a.Queues, b.Queues)
		})
}

// Authenticator turns a token into a principal; an error refuses the
// connection. internal/auth's API tokens and sessions will stand behind it.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// StaticTokens is an Authenticator over a fixed token list (tests, demo).
// Tokens are kept as SHA-256 digests so a lookup's timing says nothing
// about how much of a guess was right.
type StaticTokens struct {
	byHash map[[32]byte]Principal
}

// NewStaticTokens returns an Authenticator for the given tokens.
func NewStaticTokens(tokens map[string]Principal) *StaticTokens {
	s := &StaticTokens{byHash: make(map[[32]byte]Principal, len(tokens))}
	for tok, p := range tokens {
		s.byHash[sha256.Sum256([]byte(tok))] = p
	}
	return s
}

// Authenticate looks the token up.
func (s *StaticTokens) Authenticate(_ context.Context, token string) (Principal, error) {
	p, ok := s.byHash[sha256.Sum256([]byte(token))]
	if !ok || token == "" {
		return Principal{}, fmt.Errorf("cti: unknown token: %w", errs.ErrForbidden)
	}
	return p, nil
}

var _ Authenticator = (*StaticTokens)(nil)

// validPrincipal rejects what an Authenticator should never return.
func validPrincipal(p Principal) error {
	if !protocol.ValidID(p.Tenant) {
		return fmt.Errorf("cti: principal without a valid tenant: %w", errs.ErrForbidden)
	}
	if p.Agent != "" && !protocol.ValidID(p.Agent) {
		return fmt.Errorf("cti: principal with a bad agent id: %w", errs.ErrForbidden)
	}
	return nil
}
