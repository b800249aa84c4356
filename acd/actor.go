package acd

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// inboxSize bounds the messages waiting for a tenant's actor; senders wait
// when it is full, which is the ACD's back-pressure.
const inboxSize = 1024

// errClosed is returned once a tenant's actor has stopped.
var errClosed = fmt.Errorf("acd: stopped: %w", errs.ErrUnavailable)

// actor runs one tenant: a goroutine that alone touches the tenant's state.
type actor struct {
	tenant     string
	inbox      chan func(*state)
	quit       chan struct{}
	done       chan struct{}
	byEndpoint map[string]string // endpoint → agent id; immutable after start
}

func (t *actor) run(s *state) {
	defer close(t.done)
	for {
		select {
		case fn := <-t.inbox:
			s.handle(fn)
		case <-t.quit:
			s.shutdown()
			return
		}
	}
}

// actorKey marks the context the actor passes to the Dialer.
type actorKey struct{}

// do runs fn on the actor and waits for its answer. Called with the
// actor's own context (a Dialer reporting back from inside RingAgent), it
// cannot wait for the busy actor: fn is queued and do returns nil.
func (t *actor) do(ctx context.Context, fn func(s *state) error) error {
	if ctx.Value(actorKey{}) == t {
		msg := func(s *state) {
			if err := fn(s); err != nil {
				s.logger.Debug("acd: queued report failed", "err", err)
			}
		}
		select {
		case t.inbox <- msg:
		case <-t.quit:
			return errClosed
		default:
			go t.post(msg) // the inbox is full: queue it from outside
		}
		return nil
	}
	reply := make(chan error, 1)
	msg := func(s *state) {
		err := fn(s)
		// Statistics go out before the caller hears back, so what it does
		// next (or the clock it moves) comes after them.
		s.publishStats()
		reply <- err
	}
	select {
	case t.inbox <- msg:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.quit:
		return errClosed
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return errClosed
	}
}

// post queues fn without waiting (timers use it).
func (t *actor) post(fn func(*state)) {
	select {
	case t.inbox <- fn:
	case <-t.quit:
	}
}

// state is one tenant's agents, queues and calls. Only the actor touches it.
type state struct {
	cfg     TenantConfig
	ctx     context.Context
	dialer  Dialer
	sink    EventSink
	log     Log
	clock   Clock
	logger  *slog.Logger
	post    func(func(*state))
	agents  map[string]*agent
	agentsL []*agent // in configured order
	queues  map[string]*queue
	queuesL []*queue          // in configured order
	calls   map[string]*qcall // waiting callers and callback requests
	talking map[string]*agent // calls in progress (queue or direct) → agent
	order   uint64
	ready   int
	scratch []*agent
	heads   []int
}

func newState(cfg TenantConfig, d Deps, post func(func(*state))) *state {
	s := &state{cfg: cfg, dialer: d.Dialer, sink: d.Events, log: d.Log, clock: d.Clock, logger: d.Logger.With("tenant", cfg.Tenant),
		post: post, agents: map[string]*agent{}, queues: map[string]*queue{}, calls: map[string]*qcall{}, talking: map[string]*agent{}}
	now := s.clock.Now()
	for _, ac := range cfg.Agents {
		a := &agent{cfg: ac, state: LoggedOut, since: now, day: dayKey(now, cfg.Location)}
		s.agents[ac.ID] = a
		s.agentsL = append(s.agentsL, a)
	}
	for _, qc := range cfg.Queues {
		q := &queue{cfg: qc, aht: qc.HandleTime, day: dayKey(now, cfg.Location)}
		if len(qc.Agents) > 0 {
			for _, id := range qc.Agents {
				q.members = append(q.members, s.agents[id])
			}
		} else {
			for _, a := range s.agentsL {
				if q.isMember(a) {
					q.members = append(q.members, a)
				}
			}
		}
		for _, a := range q.members {
			a.queues = append(a.queues, q)
		}
		s.queues[qc.ID] = q
		s.queuesL = append(s.queuesL, q)
	}
	s.heads = make([]int, len(s.queuesL))
	return s
}

// handle runs one message; a panic is logged and the actor carries on.
func (s *state) handle(fn func(*state)) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("acd: message panicked", "panic", fmt.Sprint(r))
		}
	}()
	fn(s)
	s.publishStats()
}

func (s *state) now() time.Time { return s.clock.Now() }

// after runs fn on the actor after d.
func (s *state) after(d time.Duration, fn func(*state)) func() bool {
	return s.clock.AfterFunc(d, func() { s.post(fn) })
}

func (s *state) emit(e Event) {
	if s.sink != nil {
		s.sink.ACDEvent(e)
	}
}

func (s *state) record(r Record) {
	if s.log != nil {
		r.Tenant = s.cfg.Tenant
		s.log.Append(r)
	}
}

// rollDay resets daily counters at local midnight.
func (s *state) rollDay(now time.Time) {
	day := dayKey(now, s.cfg.Location)
	for _, q := range s.queuesL {
		if q.day != day {
			q.day, q.today, q.dirty = day, DayCounts{}, true
		}
	}
	for _, a := range s.agentsL {
		if a.day != day {
			a.day, a.answered = day, 0
		}
	}
}

// setAgent is the only place an agent's state changes: it keeps the ready
// count, the log, the event stream and the queue statistics in step.
func (s *state) setAgent(a *agent, st State, reason string) {
	now := s.now()
	prev := a.state
	if prev == Ready {
		s.ready--
	}
	if st == Ready {
		s.ready++
		// Coming back from an unanswered offer keeps the agent's place in
		// the longest-idle order; anything else starts a new idle period.
		if prev != Reserved {
			a.idleSince = now
		}
	}
	a.state, a.reason, a.since = st, reason, now
	if st == Ready || st == NotReady || st == LoggedOut {
		a.call, a.callID, a.queue = nil, "", nil
	}
	for _, q := range a.queues {
		q.dirty = true
	}
	r := Record{At: now, Kind: RecordAgent, Agent: a.cfg.ID, Call: a.callID, State: st, Reason: reason}
	if a.queue != nil {
		r.Queue = a.queue.cfg.ID
	}
	s.record(r)
	if s.sink != nil {
		qs := make([]string, len(a.queues))
		for i, q := range a.queues {
			qs[i] = q.cfg.ID
		}
		s.emit(AgentStateEvent{Tenant: s.cfg.Tenant, At: now, Agent: a.status(), Prev: prev, Queues: qs})
	}
}

// --- callers ---

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
		inSL := wait <= q.cfg.SLThreshold
		q.today.Abandoned++
		if inSL {
			q.today.AbandonedInSL++
		}
		s.record(Record{At: now, Kind: RecordCall, Queue: q.cfg.ID, Call: c.ID, Outcome: OutcomeAbandoned, Wait: wait, InSL: inSL})
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

// --- matching ---

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

// --- reports from the PBX ---

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
		if rec.InSL {
			q.today.AnsweredInSL++
		}
	}
	a.noAnswer = 0
	a.answered++
	a.call, a.callID, a.queue = c, c.ID, q
	s.talking[c.ID] = a
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

func (s *state) callEnded(callID string) error {
	if a := s.talking[callID]; a != nil {
		delete(s.talking, callID)
		now := s.now()
		q := a.queue
		if q == nil || a.call == nil { // a direct call
			s.endWork(a)
			return nil
		}
		q.observeHandle(now.Sub(a.since))
		q.dirty = true
		if q.cfg.WrapUp > 0 && a.pending == "" {
			s.setAgent(a, WrapUp, "")
			token := new(int)
			a.wrapToken = token
			a.wrapStop = s.after(q.cfg.WrapUp, func(s *state) {
				if a.state == WrapUp && a.wrapToken == token {
					s.endWork(a)
				}
			})
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

func (s *state) agentBusy(agentID, callID string) error {
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
	s.setAgent(a, OnCall, "direct")
	return nil
}

// --- agent commands ---

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

func (s *state) validReason(reason string) error {
	if reason == ReasonNoAnswer {
		return nil
	}
	if len(s.cfg.ReasonCodes) == 0 {
		if len(reason) > 64 {
			return fmt.Errorf("acd: reason too long: %w", errs.ErrInvalid)
		}
		return nil
	}
	for _, r := range s.cfg.ReasonCodes {
		if r == reason {
			return nil
		}
	}
	return fmt.Errorf("acd: reason %q is not one of %v: %w", reason, s.cfg.ReasonCodes, errs.ErrInvalid)
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

// --- statistics ---

// publishStats sends each changed queue's statistics, at most once a second
// per queue; a change inside the second is sent when the second is up.
func (s *state) publishStats() {
	if s.sink == nil {
		return
	}
	now := s.now()
	for _, q := range s.queuesL {
		if !q.dirty {
			continue
		}
		next := q.lastPub.Add(time.Second)
		if !q.lastPub.IsZero() && now.Before(next) {
			if q.pubStop == nil {
				q.pubStop = s.after(next.Sub(now), func(s *state) { q.pubStop = nil })
			}
			continue
		}
		q.dirty, q.lastPub = false, now
		s.emit(StatsEvent{Tenant: s.cfg.Tenant, At: now, Stats: q.stats(now)})
	}
}

// --- restart ---

// restore applies what the log says: agents who were logged in are logged
// in again; whoever was reserved, on a call or in wrap-up when the process
// stopped is ready, because those calls ended with it.
func (s *state) restore(r Restored) {
	now := s.now()
	for _, ra := range r.Agents {
		a := s.agents[ra.ID]
		if a == nil {
			continue
		}
		switch ra.State {
		case Ready:
			a.state, a.since, a.idleSince = Ready, ra.At, ra.At
			s.ready++
		case NotReady:
			a.state, a.reason, a.since = NotReady, ra.Reason, ra.At
		case Reserved, OnCall, WrapUp:
			a.state, a.since, a.idleSince = Ready, now, now
			s.ready++
			s.record(Record{At: now, Kind: RecordAgent, Agent: a.cfg.ID, State: Ready, Reason: ReasonRestored})
		}
	}
	for id, dc := range r.Queues {
		if q := s.queues[id]; q != nil {
			q.today = dc
		}
	}
	for id, n := range r.AgentAnswered {
		if a := s.agents[id]; a != nil {
			a.answered = n
		}
	}
}

// shutdown stops every timer so nothing fires into a dead actor.
func (s *state) shutdown() {
	for _, c := range s.calls {
		c.stopTimers()
		for _, r := range c.rings {
			if r.stop != nil {
				r.stop()
			}
		}
	}
	for _, a := range s.agentsL {
		if a.wrapStop != nil {
			a.wrapStop()
		}
	}
	for _, q := range s.queuesL {
		if q.pubStop != nil {
			q.pubStop()
		}
	}
}
