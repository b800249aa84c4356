package b2bua

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/sdp"
)

// Originate places a call from the PBX: it rings the agent's extension first
// and, once the agent answers, rings to and bridges them (click-to-dial,
// follow-up calls, callbacks). It returns the call id as soon as the agent's
// phone is ringing; the rest happens in the background and shows up in the
// call events and the CDR.
func (m *Manager) Originate(ctx context.Context, tenant, agentExt, to, callerID string) (string, error) {
	return m.originate(tenant, agentExt, to, callerID, nil, nil, func(c *call) { c.dialOut(to) })
}

// OriginateNotify is Originate that also reports whether the agent answered
// (the ACD's callback requests need to know).
func (m *Manager) OriginateNotify(ctx context.Context, tenant, agentExt, to, callerID string, agentAnswered func(bool)) (string, error) {
	return m.originate(tenant, agentExt, to, callerID, nil, agentAnswered, func(c *call) { c.dialOut(to) })
}

// Monitor rings a supervisor's extension and, once answered, joins them to
// the agent's current call in mode (CTI supervisor.listen/whisper/barge).
func (m *Manager) Monitor(ctx context.Context, tenant, supervisorExt, agentExt string, mode MonitorMode) (string, error) {
	if c, _ := m.agentCall(tenant, agentExt); c == nil {
		return "", fmt.Errorf("monitor: extension %s is not on a call: %w", agentExt, errs.ErrConflict)
	}
	label := []string{"", "listen", "whisper", "barge"}[mode]
	return m.originate(tenant, supervisorExt, label+":"+agentExt, "", nil, nil, func(c *call) {
		monitorApp{m: m, mode: mode, target: agentExt}.Run(c.ctx, &LocalCall{c: c})
		c.hangup("system", CauseMonitorEnded)
	})
}

// originate rings ext from the PBX; then runs once they answer. like, when
// set, is a call whose media the new one must match (its codec is offered
// alone: a consultation's audio is carried between the two calls as is).
// The call counts against the extension's and the tenant's call limits
// as one the extension placed: refused, it fails with ErrUnavailable.
func (m *Manager) originate(tenant, agentExt, to, callerID string, like *call, notify func(bool), then func(*call)) (string, error) {
	slot, why := m.admit.admit(tenant, agentExt, netip.Addr{}, false)
	if why != refusalNone {
		_, _, warning := why.response()
		m.noteRefusal(why, tenant, agentExt, to, "")
		return "", fmt.Errorf("originate: %s: %w", warning, errs.ErrUnavailable)
	}
	c, err := m.originateCall(tenant, agentExt, to, callerID, like, slot, notify, then)
	if err != nil {
		return "", err
	}
	return c.id, nil
}

// slot, when set, is the call's place in the call limits: the call gives it
// back when it ends, a failure here at once.
func (m *Manager) originateCall(tenant, agentExt, to, callerID string, like *call, slot *slot, notify func(bool), then func(*call)) (*call, error) {
	held := false // by the call, which gives it back as it ends
	defer func() {
		if !held {
			m.admit.release(slot)
		}
	}()
	if notify == nil {
		notify = func(bool) {}
	}
	if m.draining.Load() {
		return nil, fmt.Errorf("originate: shutting down: %w", errs.ErrUnavailable)
	}
	targets, known := m.loc.Locate(tenant, agentExt)
	if !known {
		return nil, fmt.Errorf("originate: extension %s: %w", agentExt, errs.ErrNotFound)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("originate: extension %s is not registered: %w", agentExt, errs.ErrUnavailable)
	}
	t := targets[0] // the newest registration of the agent's phone
	if !t.Encrypted && m.srtpPolicy(tenant, agentExt) == SRTPRequired && !secureTransport(t.Transport) {
		m.log.Warn("contact not called: SRTP required but it registered without TLS", "ext", agentExt, "transport", t.Transport)
		return nil, fmt.Errorf("originate: extension %s requires SRTP but registered over %s: %w", agentExt, t.Transport, errs.ErrUnavailable)
	}
	bridge, err := m.relay.NewBridge()
	if err != nil {
		return nil, fmt.Errorf("originate: %w", err)
	}
	start := m.now()
	held = true
	c := &call{
		m: m, id: randomHex(12), tenant: tenant, caller: agentExt, callee: to, bridge: bridge, slot: slot,
		codecs: codecsOf(m.cfg.Codecs), dtmf: &sdp.Codec{PT: 101, Name: sdp.TelephoneEvent, Rate: 8000, Channels: 1, Fmtp: "0-16"},
		aFinal: make(chan struct{}), acked: make(chan struct{}), done: make(chan struct{}),
		start: start, disposition: DispositionNoAnswer, app: true, origin: true, display: callerID,
	}
	if like != nil {
		like.mu.Lock()
		c.codecs, c.dtmf = like.codecs[:1], like.dtmf
		like.mu.Unlock()
	}
	c.ctx, c.cancel = newCallContext()
	c.finalSent = true
	close(c.aFinal)
	c.sdpOut[sideA] = sdp.NewVersionCounter("yimen", uint64(start.UnixNano()), 1)
	c.sdpOut[sideB] = sdp.NewVersionCounter("yimen", uint64(start.UnixNano())+1, 1)
	from := callerID
	if from == "" {
		from = to
	}
	c.a = &dialog{
		callID: randomHex(16) + "@" + m.cfg.Host, local: textOf(sip.Uri{Scheme: "sip", User: from, Host: m.cfg.Host, Port: m.cfg.Port}),
		localTag: newTag(), remote: textOf(sip.Uri{Scheme: "sip", User: agentExt, Host: m.cfg.Host, Port: m.cfg.Port}),
		target: textOf(t.URI), dest: t.Dest.String(), transport: t.Transport, flow: t.Flow,
	}
	inv := c.a.newRequest(sip.INVITE, m.contactURI(t.Transport))
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if m.cfg.UserAgent != "" {
		inv.AppendHeader(sip.NewHeader("User-Agent", m.cfg.UserAgent))
	}
	srtpOK := c.offerSRTPOn(sideA, agentExt, t) // SDES when the phone requires it
	inv.SetBody(c.legSDP(sideA, c.codecs, c.dtmf, sdp.SendRecv, nil))
	bridge.Start()
	m.track(c, c.a.callID)
	var tx sip.ClientTransaction
	err = fmt.Errorf("no SRTP key for %s: %w", agentExt, errs.ErrUnavailable)
	if srtpOK {
		tx, err = m.send(c.ctx, c.a, inv)
	}
	if err != nil {
		c.end("system", CauseError)
		return nil, fmt.Errorf("originate: %w", err)
	}
	go c.runOriginate(inv, tx, t, notify, then)
	return c, nil
}

func codecsOf(names []string) []sdp.Codec {
	var out []sdp.Codec
	for _, n := range names {
		for _, s := range sdp.SupportedCodecs() {
			if s.Name == n {
				out = append(out, s)
			}
		}
	}
	return out
}

// runOriginate waits for the agent to answer, then runs the rest of the call.
func (c *call) runOriginate(inv *sip.Request, tx sip.ClientTransaction, t Target, notify func(bool), then func(*call)) {
	m := c.m
	timer := time.NewTimer(m.cfg.RingTimeout)
	defer timer.Stop()
	var ok *sip.Response
	for ok == nil {
		select {
		case res := <-tx.Responses():
			if res == nil || res.StatusCode < 200 {
				continue
			}
			if !res.IsSuccess() {
				c.mu.Lock()
				c.disposition, c.code = DispositionAgentUnavailable, res.StatusCode
				c.mu.Unlock()
				c.end("callee", CauseAgentRejected)
				notify(false)
				return
			}
			ok = res
		case <-tx.Done():
			c.mu.Lock()
			c.disposition, c.code = DispositionAgentUnavailable, 408
			c.mu.Unlock()
			c.end("system", CauseAgentNoAnswer)
			notify(false)
			return
		case <-c.done: // hung up by the PBX while ringing (a consultation cancelled)
			c.cancelOriginate(inv)
			notify(false)
			return
		case <-timer.C:
			c.cancelOriginate(inv)
			c.mu.Lock()
			c.disposition, c.code = DispositionAgentUnavailable, 408
			c.mu.Unlock()
			c.end("system", CauseAgentNoAnswer)
			notify(false)
			return
		}
	}
	c.mu.Lock()
	if tag, has := ok.To().Params.Get("tag"); has {
		c.a.remoteTag = tag
	}
	if ct := ok.Contact(); ct != nil {
		c.a.target = textOf(ct.Address)
	}
	_ = m.write(c.a, c.a.build(sip.ACK, inv.CSeq().SeqNo, m.dialogContact(c.a)))
	ans, err := sdp.Parse(ok.Body())
	if err == nil {
		if why := c.answerRefusalOn(sideA, c.caller, t, ans); why != "" {
			// Answered, but not with the media security it was offered:
			// hung up, as a fork's refused answer is.
			m.log.Warn("agent's answer refused", "call", c.id, "ext", c.caller, "reason", why)
			c.disposition, c.code = DispositionAgentUnavailable, 488
			c.mu.Unlock()
			m.sendBye(c.a)
			c.end("system", CauseAgentRejected)
			notify(false)
			return
		}
		c.setRemote(sideA, ans)
		if len(ans.Codecs) > 0 {
			c.codecs = keptCodecs(ans.Codecs[:1])
		}
		if ans.DTMF == nil {
			c.dtmf = nil
		}
	}
	c.state = stateAnswered
	c.answered = m.now()
	at := c.answered
	c.mu.Unlock()
	m.cdrs.answered(c.id, at)
	notify(true)
	then(c)
}

// dialOut rings to and bridges the answered agent to them.
func (c *call) dialOut(to string) {
	m := c.m
	ctx, cancel := context.WithTimeout(c.ctx, m.cfg.RingTimeout)
	defer cancel()
	code, _, err := (&LocalCall{c: c}).Ring(ctx, to)
	c.mu.Lock()
	if err == nil && code == 200 {
		c.disposition, c.code = DispositionAnswered, 200
		c.mu.Unlock()
		return
	}
	c.disposition, c.code = DispositionNoAnswer, code
	switch code {
	case 486, 600:
		c.disposition = DispositionBusy
	case 404:
		c.disposition = DispositionNotFound
	case 480:
		c.disposition = DispositionUnavailable
	}
	c.mu.Unlock()
	c.hangup("system", CauseCalleeNoAnswer)
}

// cancelOriginate cancels the INVITE to the agent's phone.
func (c *call) cancelOriginate(inv *sip.Request) {
	f := &fork{dlg: c.a, invite: inv, provisional: true}
	c.mu.Lock()
	c.cancelFork(f)
	c.mu.Unlock()
}

// Conference rings to and joins them to ext's call as a third party: all
// three hear each other (the mix runs like a barge).
func (m *Manager) Conference(ctx context.Context, tenant, callID, ext, to string) (string, error) {
	c, side := m.agentCall(tenant, ext)
	if c == nil || c.id != callID {
		return "", fmt.Errorf("conference: extension %s is not on call %s: %w", ext, callID, errs.ErrConflict)
	}
	_ = side
	c.mu.Lock()
	cons := c.consult
	c.mu.Unlock()
	if cons != nil && cons.agent == ext && cons.to == to {
		return m.conferenceConsult(ctx, c, cons) // the party being consulted joins
	}
	if cons != nil {
		return "", fmt.Errorf("conference: call %s has a consultation with %s in progress: %w", callID, cons.to, errs.ErrConflict)
	}
	return m.originate(tenant, to, "conference:"+ext, ext, nil, nil, func(third *call) {
		monitorApp{m: m, mode: Barge, target: ext}.Run(third.ctx, &LocalCall{c: third})
		third.hangup("system", CauseConferenceEnded)
	})
}
