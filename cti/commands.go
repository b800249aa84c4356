package cti

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// errReplied: the command queued its own reply (subscribe replies before
// the events it replays).
var errReplied = errors.New("cti: replied")

func forbidden(format string, a ...any) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeForbidden, Message: fmt.Sprintf(format, a...)}
}

func badRequest(format string, a ...any) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeBadRequest, Message: fmt.Sprintf(format, a...)}
}

func unavailable(what string) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeUnavailable, Message: what + " is not available on this hub"}
}

// exec runs one validated command for the connection's principal.
func (c *conn) exec(ctx context.Context, env protocol.Envelope, v protocol.Validator) (any, error) {
	h := c.hub
	switch v.(type) {
	case *protocol.Ping:
		return nil, nil
	case *protocol.Auth:
		return nil, badRequest("already authenticated")
	}
	p, err := c.current(ctx)
	if err != nil {
		return nil, err
	}
	switch d := v.(type) {
	case *protocol.Subscribe:
		if env.Type == protocol.CmdUnsubscribe {
			return c.unsubscribe(d)
		}
		return nil, c.subscribe(ctx, p, env.ID, d)
	case *protocol.ScreenPop:
		if !p.mayTenant(PermScreenPop) {
			return nil, forbidden("screenpop needs %s", PermScreenPop)
		}
		seq, err := h.Publish(p.Tenant, Event{Type: protocol.EventScreenPop, Agents: []string{d.Agent}, Data: d})
		if err != nil {
			return nil, err
		}
		return map[string]uint64{"seq": seq}, nil
	case *protocol.Monitor:
		if ok, err := c.supervises(ctx, p, PermCallMonitor, d.Agent); err != nil || !ok {
			return nil, orForbidden(err, "%s on agent %s needs %s over that agent", env.Type, d.Agent, PermCallMonitor)
		}
		if p.Agent == "" {
			return nil, badRequest("the supervisor has no agent endpoint to join the call from")
		}
		if h.deps.Monitoring == nil {
			return nil, unavailable("monitoring")
		}
		mode := map[string]MonitorMode{protocol.CmdSupervisorListen: Listen, protocol.CmdSupervisorWhisper: Whisper,
			protocol.CmdSupervisorBarge: Barge}[env.Type]
		id, err := h.deps.Monitoring.Monitor(ctx, p.Tenant, p.Agent, d.Agent, mode)
		if err != nil {
			return nil, err
		}
		return protocol.DialResult{Call: id}, nil
	case *protocol.ForceState:
		if ok, err := c.supervises(ctx, p, PermAgentState, d.Agent); err != nil || !ok {
			return nil, orForbidden(err, "force_state on agent %s needs %s over that agent", d.Agent, PermAgentState)
		}
		if h.deps.Agents == nil {
			return nil, unavailable("the ACD")
		}
		return nil, h.deps.Agents.ForceState(ctx, p.Tenant, d.Agent, acd.State(d.State), d.Reason)
	case *protocol.AgentRef:
		agent, err := c.actFor(ctx, p, d.Agent, PermAgentState)
		if err != nil {
			return nil, err
		}
		if h.deps.Agents == nil {
			return nil, unavailable("the ACD")
		}
		a := h.deps.Agents
		switch env.Type {
		case protocol.CmdAgentLogin:
			return nil, a.Login(ctx, p.Tenant, agent)
		case protocol.CmdAgentLogout:
			if err := a.Logout(ctx, p.Tenant, agent); err != nil {
				return nil, err
			}
			if b := h.deps.Browser; b != nil && b.Attached(p.Tenant, agent) {
				// Logged out, the agent's browser is no longer a device.
				if err := b.Close(ctx, p.Tenant, agent); err != nil && !errors.Is(err, errs.ErrNotFound) {
					h.log.Warn("cti: closing the browser session at logout", "agent", agent, "err", err)
				}
			}
			return nil, nil
		case protocol.CmdAgentReady:
			return nil, a.Ready(ctx, p.Tenant, agent)
		default:
			return nil, a.WrapUpDone(ctx, p.Tenant, agent)
		}
	case *protocol.WebRTCOpen:
		agent, err := c.actFor(ctx, p, d.Agent, PermCallControl)
		if err != nil {
			return nil, err
		}
		if h.deps.Browser == nil {
			return nil, unavailable("WebRTC")
		}
		answer, err := h.deps.Browser.Open(ctx, p.Tenant, agent, c.id, d.SDP)
		if err != nil {
			return nil, err
		}
		return protocol.WebRTCAnswer{SDP: answer}, nil
	case *protocol.WebRTCClose:
		agent, err := c.actFor(ctx, p, d.Agent, PermCallControl)
		if err != nil {
			return nil, err
		}
		if h.deps.Browser == nil {
			return nil, unavailable("WebRTC")
		}
		return nil, h.deps.Browser.Close(ctx, p.Tenant, agent)
	case *protocol.SnapshotRequest:
		return c.snapshot(ctx, p, d)
	case *protocol.NotReady:
		agent, err := c.actFor(ctx, p, d.Agent, PermAgentState)
		if err != nil {
			return nil, err
		}
		if h.deps.Agents == nil {
			return nil, unavailable("the ACD")
		}
		return nil, h.deps.Agents.NotReady(ctx, p.Tenant, agent, d.Reason)
	}
	return c.execCall(ctx, p, env, v)
}

// execCall runs the call-control commands.
func (c *conn) execCall(ctx context.Context, p Principal, env protocol.Envelope, v protocol.Validator) (any, error) {
	calls := c.hub.deps.Calls
	var agentField string
	switch d := v.(type) {
	case *protocol.CallRef:
		agentField = d.Agent
	case *protocol.Dial:
		agentField = d.Agent
	case *protocol.Transfer:
		agentField = d.Agent
	case *protocol.Conference:
		agentField = d.Agent
	case *protocol.Consult:
		agentField = d.Agent
	case *protocol.DTMF:
		agentField = d.Agent
	default:
		return nil, &protocol.Error{Code: protocol.CodeUnknownType, Message: "unknown type " + env.Type}
	}
	agent, err := c.actFor(ctx, p, agentField, PermCallControl)
	if err != nil {
		return nil, err
	}
	if calls == nil {
		return nil, unavailable("call control")
	}
	switch d := v.(type) {
	case *protocol.CallRef:
		switch env.Type {
		case protocol.CmdCallAnswer:
			return nil, calls.Answer(ctx, p.Tenant, agent, d.Call)
		case protocol.CmdCallHangup:
			return nil, calls.Hangup(ctx, p.Tenant, agent, d.Call)
		case protocol.CmdCallHold:
			return nil, calls.Hold(ctx, p.Tenant, agent, d.Call)
		case protocol.CmdCallConsultCancel:
			return nil, calls.ConsultCancel(ctx, p.Tenant, agent, d.Call)
		default:
			return nil, calls.Unhold(ctx, p.Tenant, agent, d.Call)
		}
	case *protocol.Dial:
		id, err := calls.Dial(ctx, p.Tenant, agent, d.To, d.CallerID)
		if err != nil {
			return nil, err
		}
		return protocol.DialResult{Call: id}, nil
	case *protocol.Transfer:
		return nil, calls.Transfer(ctx, p.Tenant, agent, d.Call, d.To, d.Mode == "attended")
	case *protocol.Conference:
		return nil, calls.Conference(ctx, p.Tenant, agent, d.Call, d.To)
	case *protocol.Consult:
		return nil, calls.Consult(ctx, p.Tenant, agent, d.Call, d.To)
	case *protocol.DTMF:
		return nil, calls.DTMF(ctx, p.Tenant, agent, d.Call, d.Digits)
	}
	return nil, nil
}

// actFor resolves which agent a command acts for (the principal's own by
// default) and checks the principal holds perm over that agent: its own
// agent, one of its queues' agents, or any agent of the tenant.
func (c *conn) actFor(ctx context.Context, p Principal, agent, perm string) (string, error) {
	if agent == "" {
		agent = p.Agent
	}
	if agent == "" {
		if len(p.grants()) == 0 {
			return "", forbidden("this principal may not send commands")
		}
		return "", badRequest("agent is required")
	}
	ok, err := c.may(ctx, p, perm, agent)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", forbidden("%s for agent %s is not this principal's to do", perm, agent)
	}
	return agent, nil
}

// orForbidden is err, or forbidden(format, args) when err is nil.
func orForbidden(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return forbidden(format, args...)
}

// mayFollow reports whether the principal may subscribe to t. A queue's
// events carry call ids, callers' numbers and what they keyed in the IVR,
// so an agent follows only the queues it is a member of.
func (c *conn) mayFollow(ctx context.Context, p Principal, t protocol.Topic) (bool, error) {
	switch t.Kind {
	case protocol.TopicTenant:
		return p.mayTenant(PermQueueRead), nil
	case protocol.TopicAgent:
		if t.ID == p.Agent && p.Agent != "" {
			return true, nil
		}
		return c.may(ctx, p, PermQueueRead, t.ID)
	case protocol.TopicQueue:
		if p.mayQueue(PermQueueRead, t.ID) {
			return true, nil
		}
		if p.Agent == "" || c.hub.deps.Agents == nil {
			return false, nil
		}
		qs, err := c.hub.deps.Agents.AgentQueues(ctx, p.Tenant, p.Agent)
		if err != nil {
			return false, err
		}
		return slices.Contains(qs, t.ID), nil
	}
	return false, nil
}

// subscribe adds topics and, with since, replays what the client missed;
// the ok reply, the replayed events and the live ones follow each other in
// seq order because all three are queued under the tenant's lock.
func (c *conn) subscribe(ctx context.Context, p Principal, id string, s *protocol.Subscribe) error {
	topics := make([]protocol.Topic, len(s.Topics))
	for i, raw := range s.Topics {
		t, _ := protocol.ParseTopic(raw) // validated already
		if ok, err := c.mayFollow(ctx, p, t); err != nil {
			return err
		} else if !ok {
			return forbidden("may not subscribe to %s", raw)
		}
		topics[i] = t
	}
	th := c.t
	th.mu.Lock()
	defer th.mu.Unlock()
	since := th.seq
	if s.Since != nil {
		since = *s.Since
		switch {
		case c.subscribed:
			return badRequest("since is accepted on a connection's first subscribe only")
		case s.Epoch != "" && s.Epoch != c.hub.cfg.Epoch:
			return &protocol.Error{Code: protocol.CodeReplayGap, Message: fmt.Sprintf(
				"the hub restarted (epoch %s, not %s): subscribe without since and reload state", c.hub.cfg.Epoch, s.Epoch)}
		case since > th.seq:
			return &protocol.Error{Code: protocol.CodeReplayGap, Message: fmt.Sprintf(
				"since %d is ahead of the latest seq %d (the hub restarted?): subscribe without since and reload state", since, th.seq)}
		case since+1 < th.oldest():
			return &protocol.Error{Code: protocol.CodeReplayGap, Message: fmt.Sprintf(
				"events after %d are no longer kept (the oldest is %d): subscribe without since and reload state", since, th.oldest())}
		}
	}
	if c.subs.agents == nil {
		c.subs.agents, c.subs.queues = map[string]bool{}, map[string]bool{}
	}
	for _, t := range topics {
		switch t.Kind {
		case protocol.TopicTenant:
			c.subs.all = true
		case protocol.TopicAgent:
			c.subs.agents[t.ID] = true
		case protocol.TopicQueue:
			c.subs.queues[t.ID] = true
		}
	}
	c.subscribed = true
	var replay []frame
	if since < th.seq {
		th.since(since, func(f frame) {
			if c.subs.match(f) {
				replay = append(replay, f)
			}
		})
	}
	c.reply(protocol.TypeOK, id, protocol.Subscribed{Topics: c.subs.topics(), Seq: th.seq, Replayed: len(replay)})
	for _, f := range replay {
		c.push(f.msg, false)
	}
	return errReplied
}

func (c *conn) unsubscribe(s *protocol.Subscribe) (any, error) {
	th := c.t
	th.mu.Lock()
	defer th.mu.Unlock()
	for _, raw := range s.Topics {
		t, _ := protocol.ParseTopic(raw)
		switch t.Kind {
		case protocol.TopicTenant:
			c.subs.all = false
		case protocol.TopicAgent:
			delete(c.subs.agents, t.ID)
		case protocol.TopicQueue:
			delete(c.subs.queues, t.ID)
		}
	}
	topics := c.subs.topics()
	if topics == nil {
		topics = []string{}
	}
	return protocol.Subscribed{Topics: topics, Seq: th.seq}, nil
}

// toProtocolError maps an error kind to a reply code; anything unexpected
// is logged once here and reported as internal.
func (c *conn) toProtocolError(typ string, err error) *protocol.Error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	code := ""
	switch {
	case errors.Is(err, errs.ErrNotFound):
		code = protocol.CodeNotFound
	case errors.Is(err, errs.ErrConflict):
		code = protocol.CodeConflict
	case errors.Is(err, errs.ErrInvalid):
		code = protocol.CodeBadRequest
	case errors.Is(err, errs.ErrForbidden):
		code = protocol.CodeForbidden
	case errors.Is(err, errs.ErrUnavailable):
		code = protocol.CodeUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return &protocol.Error{Code: protocol.CodeTimeout, Message: typ + " took too long"}
	default:
		c.hub.log.Error("cti: command failed", "type", typ, "tenant", c.p.Tenant, "agent", c.p.Agent, "err", err)
		return &protocol.Error{Code: protocol.CodeInternal, Message: "internal error"}
	}
	return &protocol.Error{Code: code, Message: err.Error()}
}

func sortStrings(s []string) { sort.Strings(s) }
