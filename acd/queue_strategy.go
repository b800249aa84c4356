package acd

// dispatch offers waiting calls to ready agents, best call first across
// every queue (priority, then arrival), until no ready agent is left or no
// waiting call can use one.
func (s *state) dispatch() {
	if s.ready == 0 {
		return
	}
	clear(s.heads)
	for s.ready > 0 {
		var best *qcall
		bi := -1
		for i, q := range s.queuesL {
			for s.heads[i] < len(q.waiting) && len(q.waiting[s.heads[i]].rings) > 0 {
				s.heads[i]++
			}
			if s.heads[i] < len(q.waiting) {
				if c := q.waiting[s.heads[i]]; best == nil || c.before(best) {
					best, bi = c, i
				}
			}
		}
		if best == nil {
			return
		}
		s.heads[bi]++
		if picked := s.pick(best); len(picked) > 0 {
			s.offer(best, picked)
		}
	}
}

// eligible: a can take c (the queue's membership already holds).
func eligible(a *agent, c *qcall) bool {
	return c.Skill == "" || a.cfg.Skills[c.Skill] >= max(1, c.MinLevel)
}

// pick chooses the agent(s) to ring for c by the queue's strategy. An agent
// who let c ring out is skipped for c until every member who could take it
// soon has had a turn.
func (s *state) pick(c *qcall) []*agent {
	q := c.queue
	cands := s.candidates(c)
	if len(cands) == 0 && len(c.tried) > 0 && s.allTried(c) {
		clear(c.tried)
		cands = s.candidates(c)
	}
	if len(cands) == 0 {
		return nil
	}
	switch q.cfg.Strategy {
	case RingAll:
		return cands
	case Sequential:
		return cands[:1]
	case RoundRobin:
		n := len(q.members)
		for k := range n {
			i := (q.rrNext + k) % n
			a := q.members[i]
			if a.state == Ready && eligible(a, c) && !c.tried[a.cfg.ID] {
				q.rrNext = i + 1
				return []*agent{a}
			}
		}
		return nil
	case FewestCalls:
		best := cands[0]
		for _, a := range cands[1:] {
			if a.answered < best.answered || a.answered == best.answered && a.idleSince.Before(best.idleSince) {
				best = a
			}
		}
		return []*agent{best}
	case Skills:
		skill := c.Skill
		if skill == "" {
			skill = q.cfg.Skill
		}
		best := cands[0]
		for _, a := range cands[1:] {
			la, lb := a.cfg.Skills[skill], best.cfg.Skills[skill]
			if la > lb || la == lb && a.idleSince.Before(best.idleSince) {
				best = a
			}
		}
		return []*agent{best}
	default: // LongestIdle
		best := cands[0]
		for _, a := range cands[1:] {
			if a.idleSince.Before(best.idleSince) {
				best = a
			}
		}
		return []*agent{best}
	}
}

func (s *state) candidates(c *qcall) []*agent {
	out := s.scratch[:0]
	for _, a := range c.queue.members {
		if a.state == Ready && eligible(a, c) && !c.tried[a.cfg.ID] {
			out = append(out, a)
		}
	}
	s.scratch = out
	// A copy: ring-all keeps the slice beyond the next call to candidates.
	if c.queue.cfg.Strategy == RingAll {
		return append([]*agent(nil), out...)
	}
	return out
}

// allTried: no member who is working (not on a break) is still untried.
func (s *state) allTried(c *qcall) bool {
	for _, a := range c.queue.members {
		switch a.state {
		case Ready, Reserved, OnCall, WrapUp:
			if eligible(a, c) && !c.tried[a.cfg.ID] {
				return false
			}
		}
	}
	return true
}
