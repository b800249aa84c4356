package acd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/yimen/yimen/internal/errs"
)

// Deps are what the ACD needs from the process.
type Deps struct {
	Dialer Dialer       // required: the PBX side of the seam
	Events EventSink    // optional: the CTI hub
	Log    Log          // optional: persistence of state changes (SQLLog)
	Clock  Clock        // optional: SystemClock by default
	Logger *slog.Logger // optional: discards by default
}

// ACD routes every tenant's calls; each tenant runs as its own actor.
type ACD struct {
	deps    Deps
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.RWMutex // guards tenants (the map only; tenant state is actor-owned)
	tenants map[string]*actor
}

// New returns an ACD with no tenants.
func New(deps Deps) (*ACD, error) {
	if deps.Dialer == nil {
		return nil, fmt.Errorf("acd: a Dialer is required: %w", errs.ErrInvalid)
	}
	if deps.Clock == nil {
		deps.Clock = SystemClock{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &ACD{deps: deps, ctx: ctx, cancel: cancel, tenants: map[string]*actor{}}, nil
}

// AddTenant validates cfg, restores the tenant's agents from the log and
// starts its actor.
func (a *ACD) AddTenant(ctx context.Context, cfg TenantConfig) error {
	norm, err := cfg.normalize()
	if err != nil {
		return err
	}
	a.mu.RLock()
	_, dup := a.tenants[norm.Tenant]
	a.mu.RUnlock()
	if dup {
		return fmt.Errorf("acd: tenant %q already running: %w", norm.Tenant, errs.ErrConflict)
	}
	t := &actor{tenant: norm.Tenant, inbox: make(chan func(*state), inboxSize), quit: make(chan struct{}), done: make(chan struct{})}
	t.byEndpoint.Store(endpoints(norm.Agents))
	s := newState(norm, a.deps, t.post)
	s.endpointsTo = t.byEndpoint.Store
	// The context handed to the Dialer names this actor, so a report
	// made with it from inside a Dialer call is queued, not waited for.
	s.ctx = context.WithValue(a.ctx, actorKey{}, t)
	if a.deps.Log != nil {
		r, err := a.deps.Log.Restore(ctx, norm.Tenant, dayStart(s.now(), norm.Location))
		if err != nil {
			return fmt.Errorf("acd: restore tenant %s: %w", norm.Tenant, err)
		}
		s.restore(r)
	}
	a.mu.Lock()
	if _, dup := a.tenants[norm.Tenant]; dup {
		a.mu.Unlock()
		return fmt.Errorf("acd: tenant %q already running: %w", norm.Tenant, errs.ErrConflict)
	}
	a.tenants[norm.Tenant] = t
	a.mu.Unlock()
	go t.run(s)
	return nil
}

// Close stops every tenant's actor and waits for them.
func (a *ACD) Close() {
	a.mu.Lock()
	ts := make([]*actor, 0, len(a.tenants))
	for _, t := range a.tenants {
		ts = append(ts, t)
	}
	a.tenants = map[string]*actor{}
	a.mu.Unlock()
	for _, t := range ts {
		close(t.quit)
		<-t.done
	}
	a.cancel()
}

func (a *ACD) actor(tenant string) (*actor, error) {
	a.mu.RLock()
	t := a.tenants[tenant]
	a.mu.RUnlock()
	if t == nil {
		return nil, fmt.Errorf("acd: tenant %q: %w", tenant, errs.ErrNotFound)
	}
	return t, nil
}

func (a *ACD) do(ctx context.Context, tenant string, fn func(s *state) error) error {
	t, err := a.actor(tenant)
	if err != nil {
		return err
	}
	return t.do(ctx, fn)
}

// AgentByEndpoint names the agent bound to an extension (for the CTI's
// call events); it does not wait for the actor.
func (a *ACD) AgentByEndpoint(tenant, endpoint string) (string, bool) {
	t, err := a.actor(tenant)
	if err != nil {
		return "", false
	}
	id, ok := (*t.byEndpoint.Load())[endpoint]
	return id, ok
}

// --- the PBX reports ---

// Enqueue puts a caller into a queue; the ACD rings agents through the Dialer.
func (a *ACD) Enqueue(ctx context.Context, tenant string, c Call) error {
	c.Vars = cloneVars(c.Vars)
	return a.do(ctx, tenant, func(s *state) error { return s.enqueue(c) })
}

// AgentAnswered: the agent picked up the call the ACD rang them for.
// ErrConflict means the offer had already been taken back: hang up the
// agent's leg.
func (a *ACD) AgentAnswered(ctx context.Context, tenant, callID, agentID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.agentAnswered(callID, agentID) })
}

// AgentNoAnswer: the agent's endpoint rang out, was busy or declined.
func (a *ACD) AgentNoAnswer(ctx context.Context, tenant, callID, agentID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.agentNoAnswer(callID, agentID) })
}

// CallEnded: a call the ACD knows ended (answered: the agent goes to
// wrap-up; still waiting: it counts as abandoned).
func (a *ACD) CallEnded(ctx context.Context, tenant, callID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.callEnded(callID) })
}

// RekeyCall renames a direct call (AgentBusy) once the PBX has given it
// its id: the agent is made busy under a provisional id before the call is
// placed, so no queue call is offered to them in between.
func (a *ACD) RekeyCall(ctx context.Context, tenant, oldID, newID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.rekeyCall(oldID, newID) })
}

// CallFailed: an agent's direct call (AgentBusy: one they placed) ended
// without being answered; the agent goes to wrap-up for the tenant's
// OutboundWrapUp. For any other call it is CallEnded.
func (a *ACD) CallFailed(ctx context.Context, tenant, callID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.callEndedHow(callID, true) })
}

// CallerAbandoned: the caller hung up while waiting or ringing.
func (a *ACD) CallerAbandoned(ctx context.Context, tenant, callID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.callerAbandoned(callID) })
}

// AcceptCallback: the waiting caller accepted the callback offer and will
// hang up; the request keeps their place and is rung to the next free agent.
func (a *ACD) AcceptCallback(ctx context.Context, tenant, callID, number string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.acceptCallback(callID, number) })
}

// AgentBusy: the agent's endpoint is on a call the ACD did not route
// (outbound, direct); they are offered nothing until CallEnded(callID).
func (a *ACD) AgentBusy(ctx context.Context, tenant, agentID, callID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.agentBusy(agentID, callID, ReasonDirect) })
}

// AgentOnExtensionCall: the agent's endpoint is talking on a call that
// reached it without a queue (reason ReasonExtension); as AgentBusy, they
// are offered nothing until CallEnded(callID). ErrConflict when the ACD has
// them busy already.
func (a *ACD) AgentOnExtensionCall(ctx context.Context, tenant, agentID, callID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.agentBusy(agentID, callID, ReasonExtension) })
}

// --- agent and supervisor commands ---

// Login signs an agent in (ready for calls).
func (a *ACD) Login(ctx context.Context, tenant, agentID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.login(agentID) })
}

// Logout signs an agent out (after their current call, if any).
func (a *ACD) Logout(ctx context.Context, tenant, agentID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.requestState(agentID, LoggedOut, "") })
}

// Ready makes a logged-in agent available (ends wrap-up or a break).
func (a *ACD) Ready(ctx context.Context, tenant, agentID string) error {
	return a.do(ctx, tenant, func(s *state) error {
		if ag, err := s.agent(agentID); err == nil && ag.state == LoggedOut {
			return fmt.Errorf("acd: agent %s is logged out: %w", agentID, errs.ErrConflict)
		}
		return s.requestState(agentID, Ready, "")
	})
}

// NotReady puts an agent on a break with a reason code.
func (a *ACD) NotReady(ctx context.Context, tenant, agentID, reason string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.requestState(agentID, NotReady, reason) })
}

// WrapUpDone ends an agent's after-call work early.
func (a *ACD) WrapUpDone(ctx context.Context, tenant, agentID string) error {
	return a.do(ctx, tenant, func(s *state) error { return s.wrapUpDone(agentID) })
}

// ForceState is the supervisor's override: ready, not ready or logged out.
func (a *ACD) ForceState(ctx context.Context, tenant, agentID string, st State, reason string) error {
	switch st {
	case Ready, NotReady, LoggedOut:
	default:
		return fmt.Errorf("acd: cannot force state %q: %w", st, errs.ErrInvalid)
	}
	return a.do(ctx, tenant, func(s *state) error { return s.requestState(agentID, st, reason) })
}

// --- snapshots ---

// Agents lists every agent of the tenant in configured order.
func (a *ACD) Agents(ctx context.Context, tenant string) ([]AgentStatus, error) {
	var out []AgentStatus
	err := a.do(ctx, tenant, func(s *state) error {
		s.rollDay(s.now())
		out = make([]AgentStatus, len(s.agentsL))
		for i, ag := range s.agentsL {
			out[i] = ag.status()
		}
		return nil
	})
	return out, err
}

// Agent returns one agent's status.
func (a *ACD) Agent(ctx context.Context, tenant, agentID string) (AgentStatus, error) {
	var out AgentStatus
	err := a.do(ctx, tenant, func(s *state) error {
		ag, err := s.agent(agentID)
		if err == nil {
			s.rollDay(s.now())
			out = ag.status()
		}
		return err
	})
	return out, err
}

// AgentQueues lists the queues agentID is a member of, in configured order.
func (a *ACD) AgentQueues(ctx context.Context, tenant, agentID string) ([]string, error) {
	var out []string
	err := a.do(ctx, tenant, func(s *state) error {
		ag, err := s.agent(agentID)
		if err != nil {
			return err
		}
		for _, q := range s.queuesL {
			if slices.Contains(q.members, ag) {
				out = append(out, q.cfg.ID)
			}
		}
		return nil
	})
	return out, err
}

// QueueStats returns every queue's statistics in configured order.
func (a *ACD) QueueStats(ctx context.Context, tenant string) ([]QueueStats, error) {
	var out []QueueStats
	err := a.do(ctx, tenant, func(s *state) error {
		now := s.now()
		s.rollDay(now)
		out = make([]QueueStats, len(s.queuesL))
		for i, q := range s.queuesL {
			out[i] = q.stats(now)
		}
		return nil
	})
	return out, err
}

// Waiting lists a queue's callers and callback requests, next first.
func (a *ACD) Waiting(ctx context.Context, tenant, queueID string) ([]CallView, error) {
	var out []CallView
	err := a.do(ctx, tenant, func(s *state) error {
		q := s.queues[queueID]
		if q == nil {
			return fmt.Errorf("acd: queue %q: %w", queueID, errs.ErrNotFound)
		}
		out = make([]CallView, len(q.waiting))
		for i, c := range q.waiting {
			out[i] = c.view()
		}
		return nil
	})
	return out, err
}

// Tenants lists the running tenants.
func (a *ACD) Tenants() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]string, 0, len(a.tenants))
	for t := range a.tenants {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func cloneVars(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
