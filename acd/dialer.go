package acd

import (
	"context"
	"time"
)

// Dialer is what the ACD asks of the PBX. The ACD calls it from the tenant's
// actor goroutine, so every method must return at once (queue the work).
// Outcomes come back through AgentAnswered, AgentNoAnswer, CallEnded and
// CallerAbandoned; a report made during a Dialer call with the ctx it was
// given (or one derived from it) is queued behind the current work and
// returns nil, because waiting for the busy actor would never end.
type Dialer interface {
	// RingAgent rings agent's endpoint for the call; for a callback request
	// (Ring.Callback set) the PBX rings the agent and, once they answer,
	// dials the customer.
	RingAgent(ctx context.Context, r Ring)
	// StopRing cancels ringing that is no longer wanted (another agent
	// answered, the caller left, the reservation timed out).
	StopRing(ctx context.Context, tenant, callID, agentID string)
	// Overflow sends a call out of the ACD to a target that is not a queue.
	Overflow(ctx context.Context, tenant, callID string, to Target)
	// Announce asks the PBX to tell a waiting caller their position and
	// expected wait, and (OfferCallback) to offer a callback.
	Announce(ctx context.Context, a Announcement)
}

// Ring asks the PBX to ring one agent for one call.
type Ring struct {
	Tenant   string
	CallID   string
	Queue    string
	AgentID  string
	Endpoint string
	Timeout  time.Duration
	Callback string // the customer's number when this is a callback request
}

// Announcement is what a waiting caller is told.
type Announcement struct {
	Tenant        string
	CallID        string
	Queue         string
	Position      int           // 1 is next
	ExpectedWait  time.Duration // rounded to whole seconds
	OfferCallback bool
}
