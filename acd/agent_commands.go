package acd

import (
	"fmt"

	"github.com/yimen/yimen/internal/errs"
)

func (s *state) agent(id string) (*agent, error) {
	a := s.agents[id]
	if a == nil {
		return nil, fmt.Errorf("acd: agent %q: %w", id, errs.ErrNotFound)
	}
	return a, nil
}

func (s *state) login(id string) error {
	a, err := s.agent(id)
	if err != nil {
		return err
	}
	if a.loggedIn() {
		return nil
	}
	a.noAnswer = 0
	s.setAgent(a, Ready, "")
	s.dispatch()
	return nil
}

// requestState moves an agent to ready, not ready or logged out: at once,
// or when their current call ends.
func (s *state) requestState(id string, st State, reason string) error {
	a, err := s.agent(id)
	if err != nil {
		return err
	}
	if st == NotReady {
		if err := s.validReason(reason); err != nil {
			return err
		}
	}
	switch a.state {
	case LoggedOut:
		switch st {
		case LoggedOut:
			return nil
		case Ready:
			return s.login(id)
		}
		return fmt.Errorf("acd: agent %s is logged out: %w", id, errs.ErrConflict)
	case OnCall:
		if st == Ready {
			a.pending, a.pendReas = "", ""
		} else {
			a.pending, a.pendReas = st, reason
		}
		s.emit(AgentStateEvent{Tenant: s.cfg.Tenant, At: s.now(), Agent: a.status(), Prev: a.state, Queues: queueIDs(a)})
		return nil
	case Reserved:
		if st == Ready {
			return nil
		}
		// Going on a break while the phone rings declines the offer
		// without counting it as unanswered.
		r := a.ring
		s.releaseRing(r)
		s.dialer.StopRing(s.ctx, s.cfg.Tenant, r.call.ID, a.cfg.ID)
	case WrapUp:
		if a.wrapStop != nil {
			a.wrapStop()
			a.wrapStop, a.wrapToken = nil, nil
		}
	case Ready, NotReady:
		if a.state == st && a.reason == reason {
			return nil
		}
	}
	a.pending, a.pendReas = "", ""
	if st == Ready {
		a.noAnswer = 0
	}
	s.setAgent(a, st, reason)
	s.dispatch()
	return nil
}

func (s *state) wrapUpDone(id string) error {
	a, err := s.agent(id)
	if err != nil {
		return err
	}
	if a.state != WrapUp {
		return fmt.Errorf("acd: agent %s is %s, not in wrap-up: %w", id, a.state, errs.ErrConflict)
	}
	s.endWork(a)
	return nil
}

func queueIDs(a *agent) []string {
	out := make([]string, len(a.queues))
	for i, q := range a.queues {
		out[i] = q.cfg.ID
	}
	return out
}
