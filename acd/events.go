package acd

import "time"

// EventSink receives the ACD's events (the CTI hub, reports). It is called
// from the actor goroutine and must not block or call back into the ACD.
type EventSink interface {
	ACDEvent(e Event)
}

// Event is one of AgentStateEvent, AgentOverrunEvent, OfferEvent,
// OverflowEvent, CallbackEvent or StatsEvent.
type Event interface {
	EventTenant() string
}

// AgentStateEvent: an agent changed state.
type AgentStateEvent struct {
	Tenant string
	At     time.Time
	Agent  AgentStatus
	Prev   State
	Queues []string // the queues the agent serves
}

// AgentOverrunEvent: an agent's break outlasted its reason's maximum
// (Agent.ReasonMax); Agent.Since is when the break began.
type AgentOverrunEvent struct {
	Tenant string
	At     time.Time
	Agent  AgentStatus
	Queues []string // the queues the agent serves
}

// OfferEvent: a call is ringing an agent (the screen pop moment).
type OfferEvent struct {
	Tenant string
	At     time.Time
	Call   CallView
	Agent  string
	Wait   time.Duration // waited so far
}

// OverflowEvent: a call left its queue at max wait.
type OverflowEvent struct {
	Tenant string
	At     time.Time
	Call   CallView
	From   string
	To     Target
}

// CallbackEvent: a caller accepted a callback; the request keeps their place.
type CallbackEvent struct {
	Tenant string
	At     time.Time
	Call   CallView
}

// StatsEvent: a queue's statistics changed (at most once a second per queue).
type StatsEvent struct {
	Tenant string
	At     time.Time
	Stats  QueueStats
}

// EventTenant names the tenant the event belongs to.
func (e AgentStateEvent) EventTenant() string { return e.Tenant }

// EventTenant names the tenant the event belongs to.
func (e AgentOverrunEvent) EventTenant() string { return e.Tenant }

// EventTenant names the tenant the event belongs to.
func (e OfferEvent) EventTenant() string { return e.Tenant }

// EventTenant names the tenant the event belongs to.
func (e OverflowEvent) EventTenant() string { return e.Tenant }

// EventTenant names the tenant the event belongs to.
func (e CallbackEvent) EventTenant() string { return e.Tenant }

// EventTenant names the tenant the event belongs to.
func (e StatsEvent) EventTenant() string { return e.Tenant }
