package contactcenter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"sync"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// extensionCalls tells the ACD of calls that reach an agent's extension
// without it: a colleague or a citizen dialling the extension, a transfer
// to it, a call dialled on the desk phone itself. Without this the agent
// stays ready while talking and the ACD offers them a queue call mid-call.
//
// An agent becomes busy (AgentOnExtensionCall, reason "extension") when a call with them
// as one of its two parties is answered, and is given back when the last
// such call ends or leaves them (a transfer away). Calls the ACD already
// has the agent busy for — its own offers, calls placed through call.dial —
// are left to it: the ACD refuses them as a conflict and nothing is
// tracked. The ACD knows one call per busy agent, so each busy agent is
// known to it under a key of ours, and the calls keeping them busy are
// counted here: an attended transfer's consultation hands the agent from
// one call to the next without a gap.
type extensionCalls struct {
	acd *acd.ACD
	log *slog.Logger

	mu     sync.Mutex
	agents map[agentRef]*busyAgent
	calls  map[callRef][]agentRef
}

type agentRef struct{ tenant, agent string }
type callRef struct{ tenant, call string }

// busyAgent is an agent the ACD has busy under key for calls.
type busyAgent struct {
	key   string
	calls map[string]bool
}

var (
	_ callevent.AnswerObserver   = (*extensionCalls)(nil)
	_ callevent.TransferObserver = (*extensionCalls)(nil)
	_ callevent.EndObserver      = (*extensionCalls)(nil)
)

func newExtensionCalls(a *acd.ACD, log *slog.Logger) *extensionCalls {
	return &extensionCalls{acd: a, log: log, agents: map[agentRef]*busyAgent{}, calls: map[callRef][]agentRef{}}
}

// CallAnswered implements callevent.AnswerObserver: the call's two parties
// now are its caller and the extension it is bridged to.
func (x *extensionCalls) CallAnswered(ev callevent.Answered) {
	ci := ev.Call
	var parties []string
	for _, ext := range [...]string{ci.Caller, ci.Connected} {
		if ext == "" {
			continue
		}
		if id, ok := x.acd.AgentByEndpoint(ci.Tenant, ext); ok {
			parties = append(parties, id)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	c := callRef{ci.Tenant, ci.ID}
	// Whoever the call was bridged away from has left it.
	for _, r := range x.calls[c] {
		if !slices.Contains(parties, r.agent) {
			x.leave(c, r)
		}
	}
	for _, id := range parties {
		x.join(c, agentRef{ci.Tenant, id})
	}
}

// CallTransfer implements callevent.TransferObserver: the agent who
// completed a transfer has left the call.
func (x *extensionCalls) CallTransfer(ev callevent.Transfer) {
	if ev.State != callevent.ConsultCompleted {
		return
	}
	id, ok := x.acd.AgentByEndpoint(ev.Tenant, ev.From)
	if !ok {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.leave(callRef{ev.Tenant, ev.ID}, agentRef{ev.Tenant, id})
}

// CallEnded implements callevent.EndObserver.
func (x *extensionCalls) CallEnded(ev callevent.Ended) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := callRef{ev.Tenant, ev.ID}
	for _, r := range x.calls[c] {
		x.leave(c, r)
	}
	delete(x.calls, c)
}

// join counts call c for agent r, making them busy in the ACD if it is
// their first. Called with mu held.
func (x *extensionCalls) join(c callRef, r agentRef) {
	b := x.agents[r]
	if b == nil {
		var k [8]byte
		_, _ = rand.Read(k[:])
		key := "ext-" + hex.EncodeToString(k[:])
		if err := x.acd.AgentOnExtensionCall(context.Background(), r.tenant, r.agent, key); err != nil {
			// Conflict: the ACD has them busy already (its own call, a
			// placed one, ringing, logged out); that call's end frees them.
			if !errors.Is(err, errs.ErrConflict) {
				x.log.Warn("ACD not told of an agent's call", "agent", r.agent, "call", c.call, "err", err)
			}
			return
		}
		b = &busyAgent{key: key, calls: map[string]bool{}}
		x.agents[r] = b
	}
	if b.calls[c.call] {
		return
	}
	b.calls[c.call] = true
	x.calls[c] = append(x.calls[c], r)
}

// leave uncounts call c for agent r, giving them back to the ACD when it
// was their last. Called with mu held.
func (x *extensionCalls) leave(c callRef, r agentRef) {
	b := x.agents[r]
	if b == nil || !b.calls[c.call] {
		return
	}
	delete(b.calls, c.call)
	rs := x.calls[c]
	for i, o := range rs {
		if o == r {
			x.calls[c] = append(rs[:i:i], rs[i+1:]...)
			break
		}
	}
	if len(x.calls[c]) == 0 {
		delete(x.calls, c)
	}
	if len(b.calls) > 0 {
		return
	}
	delete(x.agents, r)
	if err := x.acd.CallEnded(context.Background(), r.tenant, b.key); err != nil && !errors.Is(err, errs.ErrNotFound) {
		x.log.Warn("ACD not told of the end of an agent's call", "agent", r.agent, "call", c.call, "err", err)
	}
}
