package contactcenter

import (
	"context"
	"errors"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// Browsers is the browser agents' media sessions by extension; the PBX's
// pbx/webrtc.Manager implements it (wired in cmd/pbx/boot). A browser agent
// is an agent whose extension rings a browser instead of a desk phone: the
// ACD offers, rings and counts it exactly as any other.
type Browsers interface {
	Open(ctx context.Context, tenant, agent, ext string, owner uint64, offer string) (answer string, err error)
	Close(tenant, agent string) error
	Detach(owner uint64)
	Attached(tenant, agent string) bool
	// AutoAnswer makes the browser on ext connect the next call at once
	// (a call the agent places, a supervisor's monitor leg).
	AutoAnswer(tenant, ext string) bool
}

// browserAgents implements cti.Browser over Browsers, resolving agents to
// their extensions, and hears the sessions' states for the CTI and the ACD.
type browserAgents struct {
	cc *ContactCenter
	b  Browsers
}

var _ cti.Browser = browserAgents{}

func (ba browserAgents) Open(ctx context.Context, tenant, agent string, owner uint64, offer string) (string, error) {
	ext, err := ba.cc.endpoint(ctx, tenant, agent)
	if err != nil {
		return "", err
	}
	return ba.b.Open(ctx, tenant, agent, ext, owner, offer)
}

func (ba browserAgents) Close(_ context.Context, tenant, agent string) error {
	return ba.b.Close(tenant, agent)
}

func (ba browserAgents) Detach(owner uint64) { ba.b.Detach(owner) }

func (ba browserAgents) Attached(tenant, agent string) bool { return ba.b.Attached(tenant, agent) }

// SessionState publishes webrtc.state on the agent's topic.
func (ba browserAgents) SessionState(tenant, agent, state string) {
	if _, err := ba.cc.Hub.Publish(tenant, cti.Event{Type: protocol.EventWebRTCState, Agents: []string{agent},
		Data: protocol.WebRTCState{Agent: agent, State: state}}); err != nil {
		ba.cc.log.Warn("publish webrtc.state", "agent", agent, "err", err)
	}
}

// AgentGone sets an agent whose browser never came back not ready: the ACD
// must not offer calls to a device nobody is at.
func (ba browserAgents) AgentGone(tenant, agent string) {
	err := ba.cc.ACD.ForceState(context.Background(), tenant, agent, acd.NotReady, acd.ReasonAgentGone)
	if err != nil && !errors.Is(err, errs.ErrConflict) && !errors.Is(err, errs.ErrNotFound) {
		ba.cc.log.Warn("agent whose browser went away not set not ready", "agent", agent, "err", err)
		return
	}
	ba.cc.log.Info("agent set not ready: browser gone", "tenant", tenant, "agent", agent)
}

// autoAnswer asks ext's browser, if it has one, to connect the next call at once.
func (cc *ContactCenter) autoAnswer(tenant, ext string) {
	if cc.browsers != nil {
		cc.browsers.AutoAnswer(tenant, ext)
	}
}

// BrowserObserver is what the PBX's browser sessions report to: their
// states for the CTI, an agent gone for the ACD. Nil without Deps.Browsers.
func (cc *ContactCenter) BrowserObserver() interface {
	SessionState(tenant, agent, state string)
	AgentGone(tenant, agent string)
} {
	if cc.browsers == nil {
		return nil
	}
	return browserAgents{cc: cc, b: cc.browsers}
}
