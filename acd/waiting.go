package acd

import (
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

func (s *state) enqueue(c Call) error {
	if !validName(c.ID) {
		return fmt.Errorf("acd: call id %q: %w", c.ID, errs.ErrInvalid)
	}
	q := s.queues[c.Queue]
	if q == nil {
		return fmt.Errorf("acd: queue %q: %w", c.Queue, errs.ErrNotFound)
	}
	if s.calls[c.ID] != nil || s.talking[c.ID] != nil {
		return fmt.Errorf("acd: call %s already queued: %w", c.ID, errs.ErrConflict)
	}
	if c.Skill != "" && !validName(c.Skill) {
		return fmt.Errorf("acd: call skill %q: %w", c.Skill, errs.ErrInvalid)
	}
	s.rollDay(s.now())
	qc := &qcall{Call: c, rings: map[string]*reservation{}, tried: map[string]bool{}}
	qc.prio = c.Priority
	if c.VIP {
		qc.prio += VIPBoost
	}
	s.calls[c.ID] = qc
	s.join(qc, q)
	s.dispatch()
	return nil
}

// join puts a call at its place in q and arms the queue's timers for it.
func (s *state) join(c *qcall, q *queue) {
	s.order++
	c.queue, c.enqueued, c.order = q, s.now(), s.order
	c.Queue = q.cfg.ID
	q.insert(c)
	q.dirty = true
	if c.callback != "" {
		return
	}
	// Past the threshold a waiting caller counts against the service
	// level: the queue's figures change then, with nothing else happening.
	c.timers = append(c.timers, s.after(q.cfg.SLThreshold+time.Millisecond, func(s *state) {
		if s.calls[c.ID] == c && c.queue == q {
			q.dirty = true
		}
	}))
	if q.cfg.MaxWait > 0 {
		c.timers = append(c.timers, s.after(q.cfg.MaxWait, func(s *state) {
			if s.calls[c.ID] == c && c.queue == q && c.callback == "" {
				s.overflow(c)
			}
		}))
	}
	if q.cfg.CallbackAfter > 0 && !c.offered {
		c.timers = append(c.timers, s.after(q.cfg.CallbackAfter, func(s *state) {
			if s.calls[c.ID] == c && c.queue == q && c.callback == "" && !c.offered {
				c.offered = true
				s.announce(c, true)
			}
		}))
	}
	if q.cfg.AnnounceEvery > 0 {
		s.scheduleAnnounce(c, q)
	}
}

func (s *state) scheduleAnnounce(c *qcall, q *queue) {
	c.announce = s.after(q.cfg.AnnounceEvery, func(s *state) {
		if s.calls[c.ID] != c || c.queue != q || c.callback != "" {
			return
		}
		if len(c.rings) == 0 {
			s.announce(c, false)
		}
		s.scheduleAnnounce(c, q)
	})
}

func (s *state) announce(c *qcall, offer bool) {
	q := c.queue
	pos := q.position(c)
	s.dialer.Announce(s.ctx, Announcement{Tenant: s.cfg.Tenant, CallID: c.ID, Queue: q.cfg.ID, Position: pos,
		ExpectedWait: q.expectedWait(pos), OfferCallback: offer})
}

// leave takes a call out of its queue: rings stopped (the agents go back
// to ready without penalty), timers stopped.
func (s *state) leave(c *qcall) {
	for _, r := range c.rings {
		s.releaseRing(r)
		s.dialer.StopRing(s.ctx, s.cfg.Tenant, c.ID, r.agent.cfg.ID)
		s.setAgent(r.agent, Ready, "")
	}
	c.stopTimers()
	c.queue.remove(c)
	c.queue.dirty = true
}

func (s *state) abandon(c *qcall) {
	now := s.now()
	s.rollDay(now)
	s.leave(c)
	delete(s.calls, c.ID)
	q := c.queue
	wait := now.Sub(c.enqueued)
	if c.callback == "" {
		// An abandon's in_sl in the log marks a short one.
		short := wait < q.cfg.ShortAbandon
		q.today.Abandoned++
		if short {
			q.today.AbandonedShort++
		}
		s.record(Record{At: now, Kind: RecordCall, Queue: q.cfg.ID, Call: c.ID, Outcome: OutcomeAbandoned, Wait: wait, InSL: short})
	}
	s.dispatch()
}

func (s *state) overflow(c *qcall) {
	now := s.now()
	s.rollDay(now)
	from := c.queue
	s.leave(c)
	from.today.Overflowed++
	to := from.cfg.Overflow
	s.record(Record{At: now, Kind: RecordCall, Queue: from.cfg.ID, Call: c.ID, Outcome: OutcomeOverflow, Wait: now.Sub(c.enqueued)})
	s.logger.Info("acd: overflow", "call", c.ID, "queue", from.cfg.ID, "to", to.String())
	s.emit(OverflowEvent{Tenant: s.cfg.Tenant, At: now, Call: c.view(), From: from.cfg.ID, To: to})
	if to.Kind == TargetQueue {
		c.tried = map[string]bool{}
		s.join(c, s.queues[to.Value])
		s.dispatch()
		return
	}
	delete(s.calls, c.ID)
	s.dialer.Overflow(s.ctx, s.cfg.Tenant, c.ID, to)
	s.dispatch()
}

func (s *state) acceptCallback(callID, number string) error {
	c := s.calls[callID]
	if c == nil {
		return fmt.Errorf("acd: call %s is not waiting: %w", callID, errs.ErrNotFound)
	}
	if c.callback != "" {
		return fmt.Errorf("acd: call %s already has a callback: %w", callID, errs.ErrConflict)
	}
	if !validNumber(number) {
		return fmt.Errorf("acd: callback number: %w", errs.ErrInvalid)
	}
	now := s.now()
	s.rollDay(now)
	// The caller hangs up after accepting; an agent already ringing for
	// them would answer silence, so ringing stops and the request keeps
	// the caller's place in line.
	for _, r := range c.rings {
		s.releaseRing(r)
		s.dialer.StopRing(s.ctx, s.cfg.Tenant, c.ID, r.agent.cfg.ID)
		s.setAgent(r.agent, Ready, "")
	}
	c.stopTimers()
	c.callback = number
	q := c.queue
	q.today.Callbacks++
	q.dirty = true
	s.record(Record{At: now, Kind: RecordCall, Queue: q.cfg.ID, Call: c.ID, Outcome: OutcomeCallback, Wait: now.Sub(c.enqueued)})
	s.emit(CallbackEvent{Tenant: s.cfg.Tenant, At: now, Call: c.view()})
	s.dispatch()
	return nil
}

func validNumber(n string) bool {
	if n == "" || len(n) > 32 {
		return false
	}
	for i, r := range n {
		if !(r >= '0' && r <= '9' || r == '+' && i == 0) {
			return false
		}
	}
	return true
}
