package acd

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
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
	tenant string
	inbox  chan func(*state)
	quit   chan struct{}
	done   chan struct{}
	// byEndpoint maps endpoint → agent id; replaced whole on reconfiguration
	// so AgentByEndpoint reads it without waiting for the actor.
	byEndpoint atomic.Pointer[map[string]string]
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
	// answeredToday: the queue calls answered today, for their surveys.
	answeredToday map[string]answeredCall
	day           int // yyyymmdd rollDay last saw
	order         uint64
	ready         int
	scratch       []*agent
	heads         []int
	// endpointsTo publishes the endpoint → agent map when agents change.
	endpointsTo func(*map[string]string)
}

func newState(cfg TenantConfig, d Deps, post func(func(*state))) *state {
	s := &state{cfg: cfg, dialer: d.Dialer, sink: d.Events, log: d.Log, clock: d.Clock, logger: d.Logger.With("tenant", cfg.Tenant),
		post: post, agents: map[string]*agent{}, queues: map[string]*queue{}, calls: map[string]*qcall{}, talking: map[string]*agent{},
		answeredToday: map[string]answeredCall{}}
	now := s.clock.Now()
	s.day = dayKey(now, cfg.Location)
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
	if day == s.day {
		return // every state change asks: the same day costs one date
	}
	s.day = day
	clear(s.answeredToday)
	for _, q := range s.queuesL {
		if q.day != day {
			q.day, q.today, q.dirty = day, DayCounts{}, true
		}
	}
	for _, a := range s.agentsL {
		if a.day != day {
			a.day, a.answered, a.today = day, 0, AgentDay{}
		}
	}
}

// setAgent is the only place an agent's state changes: it keeps the ready
// count, the log, the event stream and the queue statistics in step.
func (s *state) setAgent(a *agent, st State, reason string) {
	if a.removed && (st == Ready || st == NotReady) {
		// Removed while busy: the call is over, so the agent goes now.
		st, reason = LoggedOut, ReasonRemoved
	}
	defer func() {
		if a.removed && st == LoggedOut {
			s.dropAgent(a)
		}
	}()
	now := s.now()
	s.rollDay(now)
	prev := a.state
	if prev == Ready {
		s.ready--
	}
	// Leaving a call or its wrap-up closes that stretch of today's work.
	switch {
	case prev == OnCall && st != OnCall:
		a.today.Handled++
		a.today.Talk += now.Sub(a.since)
	case prev == WrapUp:
		a.today.WrapUp += now.Sub(a.since)
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
	s.watchBreak(a)
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
			s.watchBreak(a)
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
	for id, d := range r.AgentDay {
		if a := s.agents[id]; a != nil {
			a.today = d
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
		s.stopBreakWatch(a)
	}
	for _, q := range s.queuesL {
		if q.pubStop != nil {
			q.pubStop()
		}
	}
}
