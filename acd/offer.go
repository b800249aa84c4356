package acd

import (
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

func (s *state) ringTimeout(a *agent, q *queue) time.Duration {
	if a.cfg.RingTimeout > 0 {
		return a.cfg.RingTimeout
	}
	return q.cfg.RingTimeout
}

func (s *state) offer(c *qcall, agents []*agent) {
	now := s.now()
	q := c.queue
	for _, a := range agents {
		r := &reservation{call: c, agent: a}
		c.rings[a.cfg.ID] = r
		a.ring, a.call, a.callID, a.queue = r, c, c.ID, q
		s.setAgent(a, Reserved, "")
		timeout := s.ringTimeout(a, q)
		// The reservation's own deadline: if the PBX never reports, the
		// agent is taken back rather than left reserved for ever.
		r.stop = s.after(timeout+s.cfg.ReservationGrace, func(s *state) {
			if a.ring == r {
				s.logger.Warn("acd: reservation timed out without a report", "call", c.ID, "agent", a.cfg.ID)
				s.dialer.StopRing(s.ctx, s.cfg.Tenant, c.ID, a.cfg.ID)
				s.noAnswer(r)
			}
		})
		s.dialer.RingAgent(s.ctx, Ring{Tenant: s.cfg.Tenant, CallID: c.ID, Queue: q.cfg.ID, AgentID: a.cfg.ID,
			Endpoint: a.cfg.Endpoint, Timeout: timeout, Callback: c.callback})
		s.emit(OfferEvent{Tenant: s.cfg.Tenant, At: now, Call: c.view(), Agent: a.cfg.ID, Wait: now.Sub(c.enqueued)})
	}
}

func (s *state) releaseRing(r *reservation) {
	if r.stop != nil {
		r.stop()
	}
	delete(r.call.rings, r.agent.cfg.ID)
	if r.agent.ring == r {
		r.agent.ring = nil
	}
}

func (s *state) noAnswer(r *reservation) {
	a, c := r.agent, r.call
	s.releaseRing(r)
	c.tried[a.cfg.ID] = true
	a.noAnswer++
	switch {
	case a.pending != "":
		s.applyPending(a)
	case a.noAnswer >= s.cfg.MaxNoAnswer:
		s.logger.Info("acd: agent set not ready after unanswered offers", "agent", a.cfg.ID, "count", a.noAnswer)
		s.setAgent(a, NotReady, ReasonNoAnswer)
	default:
		s.setAgent(a, Ready, "")
	}
	s.dispatch()
}

func (s *state) agentAnswered(callID, agentID string) error {
	c := s.calls[callID]
	if c == nil {
		return fmt.Errorf("acd: call %s is not waiting: %w", callID, errs.ErrNotFound)
	}
	r := c.rings[agentID]
	if r == nil {
		return fmt.Errorf("acd: agent %s is not ringing for call %s: %w", agentID, callID, errs.ErrConflict)
	}
	now := s.now()
	s.rollDay(now)
	a, q := r.agent, c.queue
	s.releaseRing(r)
	for _, o := range c.rings {
		s.releaseRing(o)
		s.dialer.StopRing(s.ctx, s.cfg.Tenant, c.ID, o.agent.cfg.ID)
		s.setAgent(o.agent, Ready, "")
	}
	c.stopTimers()
	q.remove(c)
	delete(s.calls, c.ID)
	wait := now.Sub(c.enqueued)
	rec := Record{At: now, Kind: RecordCall, Agent: a.cfg.ID, Queue: q.cfg.ID, Call: c.ID, Outcome: OutcomeCallbackAnswered, Wait: wait}
	if c.callback == "" {
		rec.Outcome, rec.InSL = OutcomeAnswered, wait <= q.cfg.SLThreshold
		q.today.Answered++
		q.today.AnsweredWait += wait
		if rec.InSL {
			q.today.AnsweredInSL++
		}
	}
	a.noAnswer = 0
	a.answered++
	a.call, a.callID, a.queue = c, c.ID, q
	s.talking[c.ID] = a
	s.answeredToday[c.ID] = answeredCall{agent: a, queue: q}
	s.record(rec)
	s.setAgent(a, OnCall, "")
	s.dispatch()
	return nil
}

func (s *state) agentNoAnswer(callID, agentID string) error {
	c := s.calls[callID]
	if c == nil {
		return fmt.Errorf("acd: call %s is not waiting: %w", callID, errs.ErrNotFound)
	}
	r := c.rings[agentID]
	if r == nil {
		return fmt.Errorf("acd: agent %s is not ringing for call %s: %w", agentID, callID, errs.ErrConflict)
	}
	s.noAnswer(r)
	return nil
}

func (s *state) callEnded(callID string) error { return s.callEndedHow(callID, false) }

// callEndedHow ends a call; failed says a direct call was never answered,
// which sends the agent to wrap-up (OutboundWrapUp) to note why before the
// next call, instead of straight back to where the call found them.
func (s *state) callEndedHow(callID string, failed bool) error {
	if a := s.talking[callID]; a != nil {
		delete(s.talking, callID)
		now := s.now()
		q := a.queue
		if q == nil || a.call == nil { // a direct call
			if failed && s.cfg.OutboundWrapUp > 0 && a.pending == "" {
				s.startWrapUp(a, s.cfg.OutboundWrapUp)
				return nil
			}
			s.endWork(a)
			return nil
		}
		q.observeHandle(now.Sub(a.since))
		q.dirty = true
		if q.cfg.WrapUp > 0 && a.pending == "" {
			s.startWrapUp(a, q.cfg.WrapUp)
			return nil
		}
		s.endWork(a)
		return nil
	}
	if c := s.calls[callID]; c != nil {
		s.abandon(c)
		return nil
	}
	return fmt.Errorf("acd: call %s: %w", callID, errs.ErrNotFound)
}

// startWrapUp puts a in wrap-up for d; it ends by itself, or earlier with
// wrapUpDone or a state the agent asks for.
func (s *state) startWrapUp(a *agent, d time.Duration) {
	a.wrapFor = d
	s.setAgent(a, WrapUp, "")
	token := new(int)
	a.wrapToken = token
	a.wrapStop = s.after(d, func(s *state) {
		if a.state == WrapUp && a.wrapToken == token {
			s.endWork(a)
		}
	})
}

func (s *state) callerAbandoned(callID string) error {
	if c := s.calls[callID]; c != nil {
		s.abandon(c)
		return nil
	}
	if s.talking[callID] != nil {
		return s.callEnded(callID)
	}
	return fmt.Errorf("acd: call %s: %w", callID, errs.ErrNotFound)
}

// endWork finishes a call or its wrap-up: the agent takes a state they
// asked for meanwhile, returns to where a direct call found them, or is
// ready for the next call.
func (s *state) endWork(a *agent) {
	if a.wrapStop != nil {
		a.wrapStop()
		a.wrapStop, a.wrapToken = nil, nil
	}
	switch {
	case a.pending != "":
		s.applyPending(a)
	case a.prevState != "":
		st, reason := a.prevState, a.prevReas
		a.prevState, a.prevReas = "", ""
		s.setAgent(a, st, reason)
	default:
		s.setAgent(a, Ready, "")
	}
	s.dispatch()
}

func (s *state) applyPending(a *agent) {
	st, reason := a.pending, a.pendReas
	a.pending, a.pendReas, a.prevState, a.prevReas = "", "", "", ""
	if st == Ready {
		a.noAnswer = 0
	}
	s.setAgent(a, st, reason)
}

func (s *state) rekeyCall(oldID, newID string) error {
	a := s.talking[oldID]
	if a == nil || a.call != nil {
		return fmt.Errorf("acd: no direct call %s: %w", oldID, errs.ErrNotFound)
	}
	if !validName(newID) {
		return fmt.Errorf("acd: call id %q: %w", newID, errs.ErrInvalid)
	}
	if s.talking[newID] != nil || s.calls[newID] != nil {
		return fmt.Errorf("acd: call %s already known: %w", newID, errs.ErrConflict)
	}
	delete(s.talking, oldID)
	s.talking[newID] = a
	a.callID = newID
	s.emit(AgentStateEvent{Tenant: s.cfg.Tenant, At: s.now(), Agent: a.status(), Prev: a.state, Queues: queueIDs(a)})
	return nil
}

func (s *state) agentBusy(agentID, callID, reason string) error {
	a, err := s.agent(agentID)
	if err != nil {
		return err
	}
	if !validName(callID) {
		return fmt.Errorf("acd: call id %q: %w", callID, errs.ErrInvalid)
	}
	if s.talking[callID] != nil || s.calls[callID] != nil {
		return fmt.Errorf("acd: call %s already known: %w", callID, errs.ErrConflict)
	}
	switch a.state {
	case Ready, NotReady:
		a.prevState, a.prevReas = a.state, a.reason
	case WrapUp:
		if a.wrapStop != nil {
			a.wrapStop()
			a.wrapStop, a.wrapToken = nil, nil
		}
		a.prevState, a.prevReas = Ready, ""
	default:
		return fmt.Errorf("acd: agent %s is %s: %w", agentID, a.state, errs.ErrConflict)
	}
	a.call, a.callID, a.queue = nil, callID, nil
	s.talking[callID] = a
	s.setAgent(a, OnCall, reason)
	return nil
}
