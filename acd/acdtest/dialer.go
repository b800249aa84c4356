package acdtest

import (
	"context"
	"sync"

	"github.com/yimen/yimen/acd"
)

// Action is one thing the ACD asked the PBX to do.
type Action struct {
	Kind     string // "ring", "stop", "overflow", "announce"
	Ring     acd.Ring
	CallID   string
	AgentID  string
	Target   acd.Target
	Announce acd.Announcement
}

// Dialer records the ACD's requests. Read it after a call that waits for
// the actor (any ACD method), so that everything before it has been seen.
type Dialer struct {
	mu      sync.Mutex
	actions []Action
}

var _ acd.Dialer = (*Dialer)(nil)

func (d *Dialer) add(a Action) {
	d.mu.Lock()
	d.actions = append(d.actions, a)
	d.mu.Unlock()
}

// RingAgent records a ring.
func (d *Dialer) RingAgent(_ context.Context, r acd.Ring) {
	d.add(Action{Kind: "ring", Ring: r, CallID: r.CallID, AgentID: r.AgentID})
}

// StopRing records a stop.
func (d *Dialer) StopRing(_ context.Context, _, callID, agentID string) {
	d.add(Action{Kind: "stop", CallID: callID, AgentID: agentID})
}

// Overflow records an overflow.
func (d *Dialer) Overflow(_ context.Context, _, callID string, to acd.Target) {
	d.add(Action{Kind: "overflow", CallID: callID, Target: to})
}

// Announce records an announcement.
func (d *Dialer) Announce(_ context.Context, a acd.Announcement) {
	d.add(Action{Kind: "announce", CallID: a.CallID, Announce: a})
}

// Take returns the actions recorded since the last Take.
func (d *Dialer) Take() []Action {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.actions
	d.actions = nil
	return out
}

// Sink records the ACD's events.
type Sink struct {
	mu     sync.Mutex
	events []acd.Event
}

var _ acd.EventSink = (*Sink)(nil)

// ACDEvent records e.
func (s *Sink) ACDEvent(e acd.Event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

// Take returns the events recorded since the last Take.
func (s *Sink) Take() []acd.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events = nil
	return out
}
