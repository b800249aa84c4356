package acd

import (
	"context"
	"fmt"
	"slices"

	"github.com/yimen/yimen/internal/errs"
)

// Config returns a running tenant's agents and queues as they are now
// (defaults filled in), for an editor to change and hand to Reconfigure.
func (a *ACD) Config(ctx context.Context, tenant string) (TenantConfig, error) {
	var out TenantConfig
	err := a.do(ctx, tenant, func(s *state) error {
		out = s.cfg
		out.Agents = slices.Clone(s.cfg.Agents)
		out.Queues = slices.Clone(s.cfg.Queues)
		return nil
	})
	return out, err
}

// Reconfigure replaces a running tenant's agents and queues without
// stopping it. The other settings (reason codes, max no-answer…) stay.
// Calls in progress are not disturbed: a caller keeps their place, an
// agent ringing or on a call finishes it; an agent removed while busy is
// logged out (reason "removed") and forgotten when the call and its
// wrap-up end. A queue with callers waiting cannot be removed (ErrConflict).
// Errors name the field, e.g. "queues[1].strategy".
func (a *ACD) Reconfigure(ctx context.Context, tenant string, agents []AgentConfig, queues []QueueConfig) error {
	t, err := a.actor(tenant)
	if err != nil {
		return err
	}
	return t.do(ctx, func(s *state) error {
		next := s.cfg
		next.Agents, next.Queues = agents, queues
		norm, err := next.normalize()
		if err != nil {
			return err
		}
		return s.reconfigure(norm)
	})
}

func endpoints(agents []AgentConfig) *map[string]string {
	m := make(map[string]string, len(agents))
	for _, ac := range agents {
		if ac.Endpoint != "" {
			m[ac.Endpoint] = ac.ID
		}
	}
	return &m
}

// publishEndpoints hands the actor's readers the endpoint map of every
// agent still known (removed ones finishing a call included, so their call
// events still name them).
func (s *state) publishEndpoints() {
	if s.endpointsTo == nil {
		return
	}
	m := make(map[string]string, len(s.agentsL))
	for _, a := range s.agentsL {
		if a.cfg.Endpoint != "" {
			m[a.cfg.Endpoint] = a.cfg.ID
		}
	}
	s.endpointsTo(&m)
}

func (s *state) reconfigure(norm TenantConfig) error {
	keepQ := make(map[string]bool, len(norm.Queues))
	for _, qc := range norm.Queues {
		keepQ[qc.ID] = true
	}
	for i, q := range s.queuesL {
		if !keepQ[q.cfg.ID] && len(q.waiting) > 0 {
			return fmt.Errorf("acd: tenant %q: queues[%d]: queue %s has %d callers waiting; it can be removed once they are answered: %w",
				s.cfg.Tenant, i, q.cfg.ID, len(q.waiting), errs.ErrConflict)
		}
	}
	now := s.now()

	// Agents: update in place, add, and take out the ones gone.
	keepA := make(map[string]bool, len(norm.Agents))
	agentsL := make([]*agent, 0, len(norm.Agents))
	for _, ac := range norm.Agents {
		keepA[ac.ID] = true
		a := s.agents[ac.ID]
		if a == nil {
			a = &agent{state: LoggedOut, since: now, day: dayKey(now, s.cfg.Location)}
			s.agents[ac.ID] = a
		}
		a.cfg, a.removed = ac, false
		agentsL = append(agentsL, a)
	}
	var gone []*agent
	for _, a := range s.agentsL {
		if keepA[a.cfg.ID] {
			continue
		}
		a.removed = true
		agentsL = append(agentsL, a) // known until dropped
		gone = append(gone, a)
	}
	s.agentsL = agentsL

	// Queues: update in place (callers and counters stay), add, remove.
	queuesL := make([]*queue, 0, len(norm.Queues))
	for _, qc := range norm.Queues {
		q := s.queues[qc.ID]
		if q == nil {
			q = &queue{aht: qc.HandleTime, day: dayKey(now, s.cfg.Location)}
			s.queues[qc.ID] = q
		}
		q.cfg, q.dirty = qc, true
		queuesL = append(queuesL, q)
	}
	for _, q := range s.queuesL {
		if !keepQ[q.cfg.ID] {
			if q.pubStop != nil {
				q.pubStop()
			}
			delete(s.queues, q.cfg.ID)
		}
	}
	s.queuesL = queuesL
	s.heads = make([]int, len(queuesL))
	s.cfg.Agents, s.cfg.Queues = norm.Agents, norm.Queues

	// Membership from scratch; removed agents serve no queue.
	for _, a := range s.agentsL {
		a.queues = a.queues[:0]
	}
	for _, q := range s.queuesL {
		q.members = q.members[:0]
		for _, a := range s.agentsL {
			if !a.removed && q.isMember(a) {
				q.members = append(q.members, a)
			}
		}
		if len(q.cfg.Agents) > 0 { // sequential order is the configured one
			slices.SortStableFunc(q.members, func(x, y *agent) int {
				return slices.Index(q.cfg.Agents, x.cfg.ID) - slices.Index(q.cfg.Agents, y.cfg.ID)
			})
		}
		if len(q.members) > 0 {
			q.rrNext %= len(q.members)
		} else {
			q.rrNext = 0
		}
		for _, a := range q.members {
			a.queues = append(a.queues, q)
		}
	}

	for _, a := range gone {
		switch {
		case a.state == LoggedOut:
			s.dropAgent(a)
		case (a.state == Ready || a.state == NotReady) && a.ring == nil && a.call == nil && a.callID == "":
			s.setAgent(a, LoggedOut, ReasonRemoved) // drops it
		}
		// Reserved, on a call or in wrap-up: setAgent drops it when free.
	}
	s.publishEndpoints()
	s.logger.Info("acd: reconfigured", "agents", len(norm.Agents), "queues", len(norm.Queues), "leaving", len(gone))
	s.dispatch()
	return nil
}

// dropAgent forgets a removed agent that is logged out.
func (s *state) dropAgent(a *agent) {
	if s.agents[a.cfg.ID] != a {
		return
	}
	delete(s.agents, a.cfg.ID)
	if i := slices.Index(s.agentsL, a); i >= 0 {
		s.agentsL = slices.Delete(s.agentsL, i, i+1)
	}
	for _, q := range s.queuesL {
		if i := slices.Index(q.members, a); i >= 0 {
			q.members = slices.Delete(q.members, i, i+1)
		}
	}
	for _, c := range s.calls {
		delete(c.tried, a.cfg.ID)
	}
	s.publishEndpoints()
}
