package contactcenter

import (
	"context"

	"github.com/yimen/yimen/acd"
)

var _ acd.Dialer = (*ContactCenter)(nil)

// RingAgent implements acd.Dialer: ring the agent's extension on the queued
// caller's far leg, or for a callback request the agent first and then the
// customer who asked.
func (cc *ContactCenter) RingAgent(ctx context.Context, r acd.Ring) {
	if r.Callback != "" {
		cc.ringCallback(ctx, r)
		return
	}
	w := cc.waiter(r.CallID)
	if w == nil {
		_ = cc.ACD.AgentNoAnswer(context.WithoutCancel(ctx), r.Tenant, r.CallID, r.AgentID)
		return
	}
	rctx, cancel := context.WithCancel(context.Background())
	stopTimer := cc.clock.AfterFunc(r.Timeout, cancel)
	ctl := &ringCtl{cancel: cancel}
	w.mu.Lock()
	w.rings[r.AgentID] = ctl
	w.mu.Unlock()
	go func() {
		defer cancel()
		defer stopTimer()
		code, by, err := w.call.Ring(rctx, r.Endpoint)
		w.mu.Lock()
		stopped := ctl.stopped
		delete(w.rings, r.AgentID)
		w.mu.Unlock()
		bg := context.Background()
		switch {
		case err == nil && code == 200 && by == r.Endpoint:
			if err := cc.ACD.AgentAnswered(bg, r.Tenant, r.CallID, r.AgentID); err != nil {
				cc.log.Warn("ACD took the offer back after the agent answered", "call", r.CallID, "agent", r.AgentID, "err", err)
			}
			select {
			case w.events <- waitEvent{answeredBy: r.AgentID}:
			case <-w.call.Done():
			}
		case err == nil && code == 200:
			// another agent of a ring-all took it
		case stopped:
		default:
			_ = cc.ACD.AgentNoAnswer(bg, r.Tenant, r.CallID, r.AgentID)
		}
	}()
}

func (cc *ContactCenter) ringCallback(ctx context.Context, r acd.Ring) {
	_, err := cc.calls.OriginateNotify(context.Background(), r.Tenant, r.Endpoint, r.Callback, "", func(answered bool) {
		bg := context.Background()
		if answered {
			_ = cc.ACD.AgentAnswered(bg, r.Tenant, r.CallID, r.AgentID)
			return
		}
		_ = cc.ACD.AgentNoAnswer(bg, r.Tenant, r.CallID, r.AgentID)
	})
	if err != nil {
		cc.log.Warn("callback dial failed", "call", r.CallID, "agent", r.AgentID, "err", err)
		_ = cc.ACD.AgentNoAnswer(context.WithoutCancel(ctx), r.Tenant, r.CallID, r.AgentID)
	}
}

// StopRing implements acd.Dialer.
func (cc *ContactCenter) StopRing(_ context.Context, _, callID, agentID string) {
	w := cc.waiter(callID)
	if w == nil {
		return
	}
	w.mu.Lock()
	if ctl := w.rings[agentID]; ctl != nil {
		ctl.stopped = true
		ctl.cancel()
	}
	w.mu.Unlock()
}

// Overflow implements acd.Dialer.
func (cc *ContactCenter) Overflow(_ context.Context, _, callID string, to acd.Target) {
	if w := cc.waiter(callID); w != nil {
		// Never block the ACD's actor on a caller that is not listening.
		go func() {
			select {
			case w.events <- waitEvent{overflow: &to}:
			case <-w.call.Done():
			}
		}()
	}
}

// Announce implements acd.Dialer.
func (cc *ContactCenter) Announce(_ context.Context, a acd.Announcement) {
	if w := cc.waiter(a.CallID); w != nil {
		select {
		case w.events <- waitEvent{announce: &a}:
		default:
		}
	}
}
