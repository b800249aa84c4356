package cti

import (
	"context"
	"errors"
	"slices"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// Rights are checked on every command and subscription against the
// principal's grants (Principal.Grants, from RBAC), never against role
// names, and the credential is authenticated again for each command: a
// permission revoked from a role stops the next command, and a
// queue-bound supervisor acts only for the agents of its queues.

// current authenticates the connection's credential again and returns the
// principal as it stands now. A revoked credential, or one whose rights
// changed, cuts the connection (connect again to get the new rights); a
// lookup that fails for another reason keeps the principal it had.
func (c *conn) current(ctx context.Context) (Principal, error) {
	c.mu.Lock()
	was, tok := c.p, c.token
	c.mu.Unlock()
	p, err := c.hub.authenticate(ctx, tok)
	switch {
	case errors.Is(err, errs.ErrForbidden):
		return Principal{}, &cutAfterReply{forbidden("the credential is no longer valid"), "credential revoked or expired"}
	case err != nil:
		c.hub.log.Warn("cti: credential check failed; using the rights seen at connect", "remote", c.remote, "tenant", was.Tenant, "err", err)
		return was, nil
	case !p.sameRights(was):
		return Principal{}, &cutAfterReply{forbidden("the credential's rights changed: connect again"), "credential's rights changed: connect again"}
	}
	return p, nil
}

// cutAfterReply is a command's refusal after which the connection is cut
// (close code 4001), once the reply saying why has been written.
type cutAfterReply struct {
	reply  *protocol.Error
	reason string
}

func (e *cutAfterReply) Error() string { return e.reply.Error() }
func (e *cutAfterReply) Unwrap() error { return e.reply }

// may reports whether p holds perm over agent: tenant-wide, as that agent
// itself, or over a queue the agent is a member of.
func (c *conn) may(ctx context.Context, p Principal, perm, agent string) (bool, error) {
	return c.mayOver(ctx, p, perm, agent, true)
}

// supervises is may without the principal's own agent: forcing a state or
// listening in are done to an agent, by someone over them.
func (c *conn) supervises(ctx context.Context, p Principal, perm, agent string) (bool, error) {
	return c.mayOver(ctx, p, perm, agent, false)
}

func (c *conn) mayOver(ctx context.Context, p Principal, perm, agent string, own bool) (bool, error) {
	var agentQueues []string
	looked := false
	for _, g := range p.grants() {
		if g.Perm != perm {
			continue
		}
		switch g.Scope {
		case ScopeTenant:
			return true, nil
		case ScopeOwn:
			if own && agent != "" && agent == p.Agent {
				return true, nil
			}
		case ScopeQueue:
			if agent == "" || c.hub.deps.Agents == nil {
				continue
			}
			if !looked {
				qs, err := c.hub.deps.Agents.AgentQueues(ctx, p.Tenant, agent)
				if err != nil && !errors.Is(err, errs.ErrNotFound) {
					return false, err
				}
				agentQueues, looked = qs, true
			}
			for _, q := range g.Queues {
				if slices.Contains(agentQueues, q) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// mayQueue reports whether p holds perm over queue q (tenant-wide or on
// its binding's queues).
func (p Principal) mayQueue(perm, q string) bool {
	for _, g := range p.grants() {
		if g.Perm == perm && (g.Scope == ScopeTenant || g.Scope == ScopeQueue && slices.Contains(g.Queues, q)) {
			return true
		}
	}
	return false
}

// mayTenant reports whether p holds perm over the whole tenant.
func (p Principal) mayTenant(perm string) bool {
	for _, g := range p.grants() {
		if g.Perm == perm && g.Scope == ScopeTenant {
			return true
		}
	}
	return false
}
