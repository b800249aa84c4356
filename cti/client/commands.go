package client

import (
	"context"

	"github.com/yimen/yimen/cti/protocol"
)

// An empty agent in these helpers means the principal's own agent.

// Login signs the agent in.
func (c *Client) Login(ctx context.Context, agent string) error {
	return c.Do(ctx, protocol.CmdAgentLogin, protocol.AgentRef{Agent: agent}, nil)
}

// Logout signs the agent out.
func (c *Client) Logout(ctx context.Context, agent string) error {
	return c.Do(ctx, protocol.CmdAgentLogout, protocol.AgentRef{Agent: agent}, nil)
}

// Ready makes the agent available.
func (c *Client) Ready(ctx context.Context, agent string) error {
	return c.Do(ctx, protocol.CmdAgentReady, protocol.AgentRef{Agent: agent}, nil)
}

// NotReady puts the agent on a break.
func (c *Client) NotReady(ctx context.Context, agent, reason string) error {
	return c.Do(ctx, protocol.CmdAgentNotReady, protocol.NotReady{Agent: agent, Reason: reason}, nil)
}

// WrapUpDone ends the agent's after-call work.
func (c *Client) WrapUpDone(ctx context.Context, agent string) error {
	return c.Do(ctx, protocol.CmdAgentWrapUpDone, protocol.AgentRef{Agent: agent}, nil)
}

// Dial rings the agent, then to; it returns the new call's id.
func (c *Client) Dial(ctx context.Context, agent, to, callerID string) (string, error) {
	var out protocol.DialResult
	err := c.Do(ctx, protocol.CmdCallDial, protocol.Dial{Agent: agent, To: to, CallerID: callerID}, &out)
	return out.Call, err
}

// Hangup ends a call.
func (c *Client) Hangup(ctx context.Context, agent, call string) error {
	return c.Do(ctx, protocol.CmdCallHangup, protocol.CallRef{Agent: agent, Call: call}, nil)
}

// Hold puts a call on hold.
func (c *Client) Hold(ctx context.Context, agent, call string) error {
	return c.Do(ctx, protocol.CmdCallHold, protocol.CallRef{Agent: agent, Call: call}, nil)
}

// Unhold takes a call off hold.
func (c *Client) Unhold(ctx context.Context, agent, call string) error {
	return c.Do(ctx, protocol.CmdCallUnhold, protocol.CallRef{Agent: agent, Call: call}, nil)
}

// Transfer hands a call on (mode "blind" or "attended").
func (c *Client) Transfer(ctx context.Context, agent, call, to, mode string) error {
	return c.Do(ctx, protocol.CmdCallTransfer, protocol.Transfer{Agent: agent, Call: call, To: to, Mode: mode}, nil)
}

// ScreenPop shows a screen pop on an agent's bar (system role).
func (c *Client) ScreenPop(ctx context.Context, p protocol.ScreenPop) error {
	return c.Do(ctx, protocol.CmdScreenPop, p, nil)
}

// ForceState sets an agent's state (supervisor role).
func (c *Client) ForceState(ctx context.Context, agent, state, reason string) error {
	return c.Do(ctx, protocol.CmdSupervisorForceState, protocol.ForceState{Agent: agent, State: state, Reason: reason}, nil)
}

// Answer answers a call ringing the agent (remote answer, or the browser).
func (c *Client) Answer(ctx context.Context, agent, call string) error {
	return c.Do(ctx, protocol.CmdCallAnswer, protocol.CallRef{Agent: agent, Call: call}, nil)
}

// WebRTCOpen sends the browser's offer and returns the PBX's answer.
func (c *Client) WebRTCOpen(ctx context.Context, agent, offer string) (string, error) {
	var out protocol.WebRTCAnswer
	err := c.Do(ctx, protocol.CmdWebRTCOpen, protocol.WebRTCOpen{Agent: agent, SDP: offer}, &out)
	return out.SDP, err
}

// WebRTCClose ends the agent's browser session.
func (c *Client) WebRTCClose(ctx context.Context, agent string) error {
	return c.Do(ctx, protocol.CmdWebRTCClose, protocol.WebRTCClose{Agent: agent}, nil)
}
