package b2bua

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/registrar"
	"github.com/yimen/yimen/pbx/sdp"
)

// onInvite handles initial INVITEs and routes re-INVITEs to their call.
// sipgo terminates the transaction when this returns, so it returns only
// after the caller has its final response.
func (m *Manager) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		m.onReinvite(req, tx)
		return
	}
	if m.takenAlready(req) {
		return
	}
	// sipgo's handlers carry no context; until there is a call (and its
	// context) the checks below have nothing to be cancelled by.
	ctx := context.Background()
	if m.draining.Load() {
		m.rejectInvite(tx, req, 503, "Service Unavailable")
		return
	}
	tenant, _ := m.tenants.TenantFor(req.Recipient.Host)
	user, outcome := m.auth.Check(ctx, req, tenant, true)
	if outcome != registrar.OutcomeOK {
		m.respondInvite(tx, m.auth.Challenge(req, true, outcome == registrar.OutcomeStale))
		// Answered like the registrar's challenges, without keeping the
		// transaction: it would wait for the ACK and then Timer I (5 s),
		// a goroutine parked for each. A retransmitted INVITE is simply
		// challenged again (nonces are stateless); the ACK finds no
		// transaction and is dropped by onAck.
		tx.Terminate()
		return
	}
	callee := req.Recipient.User
	start := m.now()
	if len(req.Body()) == 0 {
		m.rejectCall(ctx, req, tx, tenant, user, callee, start, 488, "Not Acceptable Here", DispositionRejectedCodec, "SDP offer required")
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		m.log.Warn("bad SDP in INVITE", "ip", sourceAddr(req), "err", err)
		m.rejectCall(ctx, req, tx, tenant, user, callee, start, 400, "Bad Request", DispositionFailed, "malformed SDP")
		return
	}
	codecs, err := offer.Negotiate(m.cfg.Codecs)
	if err != nil || offer.Port == 0 {
		m.rejectCall(ctx, req, tx, tenant, user, callee, start, 488, "Not Acceptable Here", DispositionRejectedCodec, "no common codec: the PBX relays "+strings.Join(m.cfg.Codecs, ", "))
		return
	}
	if req.GetHeader("Replaces") != nil {
		m.onInviteReplaces(req, tx, tenant, user, offer)
		return
	}
	var app Application
	if mode, agent, ok := monitorCode(callee); ok && m.supervision != nil {
		if !m.supervision.Supervisor(tenant, user) {
			m.log.Warn("monitor refused: not a supervisor", "tenant", tenant, "ext", user)
			m.rejectCall(ctx, req, tx, tenant, user, callee, start, 403, "Forbidden", DispositionRejected, "not a supervisor")
			return
		}
		app = monitorApp{m: m, mode: mode, target: agent}
	} else if m.apps != nil {
		app, _ = m.apps.App(tenant, callee)
	}
	var targets []Target
	if app == nil {
		var known bool
		targets, known = m.loc.Locate(tenant, callee)
		if !known {
			m.rejectCall(ctx, req, tx, tenant, user, callee, start, 404, "Not Found", DispositionNotFound, "")
			return
		}
		if len(targets) == 0 {
			m.rejectCall(ctx, req, tx, tenant, user, callee, start, 480, "Temporarily Unavailable", DispositionUnavailable, "")
			return
		}
	}
	bridge, err := m.relay.NewBridge()
	if err != nil {
		m.log.Error("no media ports", "err", err)
		m.rejectCall(ctx, req, tx, tenant, user, callee, start, 503, "Service Unavailable", DispositionFailed, "media ports exhausted")
		return
	}
	// No 100 Trying of our own: the server transaction sends one if nothing
	// else has gone out 200 ms after the INVITE (RFC 3261 §17.2.1), and a
	// callee that rings at once makes it a datagram per call for nothing.

	c := &call{
		m: m, id: randomHex(12), tenant: tenant, caller: user, callee: callee,
		aInvite: req, aTx: tx, bridge: bridge, codecs: codecs, dtmf: offer.DTMF, ptime: offer.PTime,
		aFinal: make(chan struct{}), acked: make(chan struct{}), start: start, disposition: DispositionNoAnswer,
	}
	c.sdpOut[sideA] = sdp.NewVersionCounter("yimen", uint64(start.UnixNano()), 1)
	c.sdpOut[sideB] = sdp.NewVersionCounter("yimen", uint64(start.UnixNano())+1, 1)
	from := req.From()
	c.a = &dialog{
		callID: req.CallID().Value(), local: req.To().Address, localTag: newTag(),
		remote: from.Address, transport: req.Transport(), seq: 0,
	}
	c.a.remoteTag, _ = from.Params.Get("tag")
	if ct := req.Contact(); ct != nil {
		c.a.target = ct.Address
	} else {
		c.a.target = from.Address
	}
	c.a.dest = req.Source()
	c.setRemote(sideA, offer)
	bridge.Start()

	c.offer = offer
	c.done = make(chan struct{})
	c.ctx, c.cancel = newCallContext()
	m.track(c, c.a.callID)
	tx.OnCancel(func(*sip.Request) { c.onCallerCancel() })
	if app != nil {
		c.app = true
		c.runApp(app)
		c.awaitFinal(tx)
		return
	}
	c.mu.Lock()
	for _, t := range targets {
		c.startFork(t, callee)
	}
	if len(c.forks) == 0 {
		c.disposition, c.code = DispositionFailed, 503
		c.respondALocked(503, "Service Unavailable", nil)
		c.mu.Unlock()
		c.end("system", CauseError)
		return
	}
	c.ringTimer = time.AfterFunc(m.cfg.RingTimeout, c.onRingTimeout)
	c.mu.Unlock()

	c.awaitFinal(tx)
}

// awaitFinal waits until the caller's INVITE has its final response; a
// transaction that dies first (transport error) ends the call.
func (c *call) awaitFinal(tx sip.ServerTransaction) {
	select {
	case <-c.aFinal:
	case <-tx.Done():
		select {
		case <-c.aFinal: // answered and ACKed (retransmitUntilAck ended the transaction) before we looked
		default:
			c.hangup("system", CauseError)
		}
	}
}

// takenAlready reports whether req retransmits the INVITE of a call in
// progress whose transaction is gone (it ends at the caller's ACK): such a
// copy, late on the network, must not start a second call.
func (m *Manager) takenAlready(req *sip.Request) bool {
	cid, cseq := req.CallID(), req.CSeq()
	if cid == nil || cseq == nil {
		return false
	}
	c := m.lookup(cid.Value())
	return c != nil && c.aInvite != nil && c.a.callID == cid.Value() && c.aInvite.CSeq().SeqNo == cseq.SeqNo
}

// startFork sends the INVITE for ext to one of its contacts. Called with c.mu held.
func (c *call) startFork(t Target, ext string) {
	m := c.m
	aReq := c.aInvite
	dir := sdp.SendRecv
	if c.offer != nil {
		dir = c.offer.Direction
	}
	callerURI := sip.Uri{Scheme: "sip", User: c.caller, Host: m.cfg.Host, Port: m.cfg.Port}
	calleeURI := sip.Uri{Scheme: "sip", User: ext, Host: m.cfg.Host, Port: m.cfg.Port}
	if aReq != nil {
		calleeURI.Host, calleeURI.Port = aReq.Recipient.Host, aReq.Recipient.Port
	}
	d := &dialog{
		callID: randomHex(16) + "@" + m.cfg.Host, local: callerURI, localTag: newTag(),
		remote: calleeURI, target: t.URI, dest: t.Dest.String(), transport: t.Transport,
	}
	req := d.newRequest(sip.INVITE, m.contactURI(t.Transport))
	if c.display != "" {
		req.From().DisplayName = c.display
	} else if aReq != nil {
		if fh := aReq.From(); fh != nil && fh.DisplayName != "" {
			req.From().DisplayName = fh.DisplayName
		}
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if m.cfg.UserAgent != "" {
		req.AppendHeader(sip.NewHeader("User-Agent", m.cfg.UserAgent))
	}
	req.SetBody(c.legSDP(sideB, c.codecs, c.dtmf, dir, nil))
	f := &fork{target: t, dlg: d, invite: req, ext: ext}
	tx, err := m.send(c.ctx, req)
	if err != nil {
		m.log.Warn("fork INVITE failed", "call", c.id, "dest", t.Dest.String(), "err", err)
		return
	}
	f.tx = tx
	c.forks = append(c.forks, f)
	m.alias(c, d.callID)
	go c.readFork(f)
}

// readFork feeds one fork's responses into the call until its transaction ends.
func (c *call) readFork(f *fork) {
	for {
		select {
		case res := <-f.tx.Responses():
			if res == nil {
				continue
			}
			c.onForkResponse(f, res)
			if res.IsSuccess() {
				// The 2xx is ACKed by the dialog, not the transaction. Left to
				// itself the transaction would stay Accepted for Timer M (32 s)
				// with this goroutine waiting on it: 6 500 of each at 300
				// calls/s. Retransmissions of the 2xx now reach
				// HandleStrayResponse, which re-ACKs them, as RFC 3261 §17.1.1.2
				// has the core do.
				f.tx.Terminate()
				return
			}
		case <-f.tx.Done():
			c.mu.Lock()
			if f.final == 0 {
				f.final = 408
				c.forkFailedLocked()
			}
			c.mu.Unlock()
			return
		}
	}
}

func (c *call) onForkResponse(f *fork, res *sip.Response) {
	code := res.StatusCode
	c.mu.Lock()
	wasRinging := c.state == stateRinging
	defer func() {
		answered := wasRinging && c.state == stateAnswered
		c.mu.Unlock()
		if answered {
			c.m.notifyAnswered(c, c.bridge)
		}
	}()
	switch {
	case code < 200:
		if code == 100 {
			return
		}
		f.provisional = true
		if f.cancelPending {
			c.cancelFork(f)
			return
		}
		if c.state != stateRinging || c.finalSent {
			return
		}
		if len(res.Body()) > 0 && c.early == nil {
			if ans, err := sdp.Parse(res.Body()); err == nil && ans.Port != 0 {
				c.early = f
				c.setRemote(sideB, ans)
				body := c.answerForA(ans)
				c.respondALocked(183, "Session Progress", body)
				return
			}
		}
		if !c.ringingSent {
			c.ringingSent = true
			c.respondALocked(180, "Ringing", nil)
		}
	case code < 300:
		c.onFork2xx(f, res)
	default:
		if f.final == 0 {
			f.final = code
			c.forkFailedLocked()
		}
	}
}

// onFork2xx: first answer wins; later answers are acknowledged and hung up.
func (c *call) onFork2xx(f *fork, res *sip.Response) {
	m := c.m
	if f.final == 0 {
		f.final = res.StatusCode
	}
	if tag, ok := res.To().Params.Get("tag"); ok && f.dlg.remoteTag == "" {
		f.dlg.remoteTag = tag
	}
	if ct := res.Contact(); ct != nil {
		f.dlg.target = ct.Address
	}
	if c.winner == f {
		c.ackFork(f) // retransmitted 200: re-ACK
		return
	}
	c.ackFork(f)
	transfer := c.transfer != nil && c.state == stateAnswered
	if c.winner != nil || (!transfer && (c.state != stateRinging || c.finalSent)) {
		m.log.Info("late answer hung up", "call", c.id)
		m.sendBye(f.dlg)
		return
	}
	ans, err := sdp.Parse(res.Body())
	if err != nil || ans.Port == 0 {
		m.log.Warn("callee answered with unusable SDP", "call", c.id, "err", err)
		m.sendBye(f.dlg)
		f.final = 488
		c.forkFailedLocked()
		return
	}
	if transfer {
		c.connectTransfer(f, ans)
		return
	}
	c.winner = f
	c.state = stateAnswered
	c.answered = m.now()
	c.disposition, c.code = DispositionAnswered, 200
	if c.ringTimer != nil {
		c.ringTimer.Stop()
	}
	c.setRemote(sideB, ans)
	c.trackHold(ans, c.answered)
	for _, o := range c.forks {
		if o != f {
			c.cancelFork(o)
		}
	}
	body := c.answerForA(ans)
	res200 := c.respondALocked(200, "OK", body)
	go c.retransmitUntilAck(res200)
}

// answerForA turns the callee's answer into our answer to the caller.
func (c *call) answerForA(ans *sdp.Session) []byte {
	codecs := ans.Codecs
	if len(codecs) == 0 {
		codecs = c.codecs
	}
	var dtmf *sdp.Codec
	if c.dtmf != nil && ans.DTMF != nil {
		dtmf = c.dtmf
	}
	offer, _ := sdp.Parse(c.aInvite.Body())
	return c.legSDP(sideA, codecs, dtmf, ans.Direction, offer)
}

func (c *call) ackFork(f *fork) {
	seq := f.invite.CSeq().SeqNo
	ack := f.dlg.build(sip.ACK, seq, c.m.contactURI(f.dlg.transport))
	if err := c.m.write(ack); err != nil {
		c.m.log.Warn("ACK failed", "call", c.id, "err", err)
	}
}

// reack answers a retransmitted 2xx from the callee whose transaction ended.
func (c *call) reack(res *sip.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.forks {
		if f.dlg.callID == res.CallID().Value() {
			c.ackFork(f)
			if f != c.winner {
				c.m.sendBye(f.dlg)
			}
			return
		}
	}
}

// forkFailedLocked fails the caller once every fork has failed.
func (c *call) forkFailedLocked() {
	transfer := c.transfer != nil && c.state == stateAnswered && c.winner == nil
	if !transfer && (c.state != stateRinging || c.finalSent) {
		return
	}
	for _, f := range c.forks {
		if (f.final == 0 && !f.dropped) || (f.final >= 200 && f.final < 300) {
			return
		}
	}
	if transfer {
		c.finishTransfer(failureCode(c.forks))
		return
	}
	code, reason, disp := 480, "Temporarily Unavailable", DispositionUnavailable
	for _, f := range c.forks {
		switch f.final {
		case 486, 600:
			code, reason, disp = 486, "Busy Here", DispositionBusy
		case 603:
			if code != 486 {
				code, reason, disp = 603, "Decline", DispositionRejected
			}
		case 488, 606:
			if code == 480 {
				code, reason, disp = 488, "Not Acceptable Here", DispositionRejectedCodec
			}
		}
	}
	c.disposition, c.code = disp, code
	c.respondALocked(code, reason, nil)
	go c.end("callee", CauseRejected)
}

func (c *call) onCallerCancel() {
	c.mu.Lock()
	if c.state != stateRinging || c.finalSent {
		c.mu.Unlock()
		return
	}
	c.disposition, c.code = DispositionCancelled, 487
	c.cancelForksLocked()
	c.finalSent = true // the transaction layer answers 487
	close(c.aFinal)
	c.mu.Unlock()
	c.end("caller", CauseCancel)
}

func (c *call) onRingTimeout() {
	c.mu.Lock()
	if c.state != stateRinging || c.finalSent {
		c.mu.Unlock()
		return
	}
	c.disposition, c.code = DispositionNoAnswer, 408
	c.cancelForksLocked()
	c.respondALocked(408, "Request Timeout", nil)
	c.mu.Unlock()
	c.end("system", CauseRingTimeout)
}

func (c *call) cancelForksLocked() {
	for _, f := range c.forks {
		c.cancelFork(f)
	}
}

// cancelFork sends CANCEL for a pending fork (once it has had a provisional
// response, as RFC 3261 §9.1 requires).
func (c *call) cancelFork(f *fork) {
	if f.cancelled || f.final != 0 {
		return
	}
	if !f.provisional {
		f.cancelPending = true
		return
	}
	f.cancelled = true
	inv := f.invite
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	if via := inv.Via(); via != nil {
		req.AppendHeader(via.Clone())
	}
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	c.m.bindLocal(req)
	// Not the call's context: a call that ends while ringing cancels its forks.
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	tx, err := c.m.client.TransactionRequest(ctx, req, func(*sipgo.Client, *sip.Request) error { return nil })
	if err != nil {
		cancel()
		c.m.log.Warn("CANCEL failed", "call", c.id, "err", err)
		return
	}
	go func() {
		defer cancel()
		select {
		case <-tx.Done():
		case <-ctx.Done():
		}
	}()
}

// respondALocked sends a response to the caller's INVITE with our To tag.
func (c *call) respondALocked(code int, reason string, body []byte) *sip.Response {
	if c.finalSent || c.aTx == nil { // an originated call has no INVITE of the caller's to answer
		return nil
	}
	res := sip.NewResponseFromRequest(c.aInvite, code, reason, body)
	res.To().Params.Add("tag", c.a.localTag)
	if code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: c.m.contactURI(c.a.transport)})
	}
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	c.m.decorate(res)
	if err := c.aTx.Respond(res); err != nil {
		c.m.log.Debug("respond to caller failed", "call", c.id, "code", code, "err", err)
	}
	if code >= 200 {
		c.finalSent = true
		c.m.m.invites.WithLabelValues(codeClass(code)).Inc()
		close(c.aFinal)
	}
	return res
}

// retransmitUntilAck resends our 200 to the caller until it ACKs (RFC 3261 §13.3.1.4).
func (c *call) retransmitUntilAck(res *sip.Response) {
	if res == nil {
		return
	}
	interval := sip.T1
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	for {
		t := time.NewTimer(interval)
		select {
		case <-c.acked:
			t.Stop()
			// The caller has the 200: keeping the transaction Accepted for
			// Timer L (32 s) would only absorb INVITE copies, which
			// takenAlready now drops while the call lasts.
			c.aTx.Terminate()
			return
		case <-deadline.C:
			t.Stop()
			c.m.log.Warn("caller never acknowledged 200", "call", c.id)
			c.hangup("system", CauseNoAck)
			return
		case <-t.C:
			if c.isEnded() {
				return
			}
			_ = c.aTx.Respond(res)
			interval = min(interval*2, sip.T2)
		}
	}
}

func (c *call) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateEnded
}

func (c *call) gotAck() { c.ackOnce.Do(func() { close(c.acked) }) }

// rejectCall answers an authenticated INVITE that cannot be connected and records it.
func (m *Manager) rejectCall(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, tenant, caller, callee string, start time.Time, code int, reason string, disposition Disposition, warning string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if warning != "" {
		res.AppendHeader(sip.NewHeader("Warning", `399 yimen "`+warning+`"`))
	}
	m.respondInvite(tx, res)
	m.m.setups.WithLabelValues(disposition.String()).Inc()
	m.cdrs.add(pbxstore.CDR{
		ID: randomHex(12), Tenant: tenant, Caller: caller, Callee: callee, ACallID: req.CallID().Value(),
		Start: start, End: m.now(), Disposition: disposition.String(), HangupSide: "system", HangupCause: CauseRejected.String(), SIPCode: code,
	})
	_ = ctx
}

func (m *Manager) rejectInvite(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	m.respondInvite(tx, sip.NewResponseFromRequest(req, code, reason, nil))
}

func (m *Manager) respondInvite(tx sip.ServerTransaction, res *sip.Response) {
	m.decorate(res)
	m.m.invites.WithLabelValues(codeClass(res.StatusCode)).Inc()
	if err := tx.Respond(res); err != nil && !errors.Is(err, sip.ErrTransactionTerminated) {
		m.log.Debug("respond failed", "code", res.StatusCode, "err", err)
	}
}

func codeClass(code int) string {
	switch {
	case code < 300:
		return "2xx"
	case code == 401 || code == 407:
		return "challenge"
	default:
		return itoa3(code)
	}
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

func sourceAddr(req *sip.Request) string {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return ""
	}
	return ap.Addr().String()
}
