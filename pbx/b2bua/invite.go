package b2bua

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/registrar"
	"github.com/yimen/yimen/pbx/sdp"
	"github.com/yimen/yimen/pbx/trunk"
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
	if m.carrierInvite(ctx, req, tx) {
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
	m.route(ctx, req, tx, inviteFrom{tenant: tenant, caller: user, callee: req.Recipient.User, start: m.now()})
}

// inviteFrom is who an initial INVITE is from and for, once known: an
// authenticated extension, or a carrier's caller on a DID.
type inviteFrom struct {
	tenant, caller, callee string
	start                  time.Time
	carrier                *trunk.Inbound // set for a call from a carrier
}

// route connects an initial INVITE whose caller is known: to an
// application, the callee's registered contacts, or out through a trunk.
func (m *Manager) route(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, from inviteFrom) {
	// The caller and callee are copied: parsed, they are slices of the
	// INVITE's lines (the caller's name, of the whole Authorization
	// header), which a call and its place in the call limits would
	// otherwise keep for as long as it lasts.
	tenant, user, callee, start := from.tenant, strings.Clone(from.caller), strings.Clone(from.callee), from.start
	release := true // the carrier's place in its trunk's caps, until a call holds it
	defer func() {
		if release {
			from.carrier.Release()
		}
	}()
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
	if why := m.offerRefusal(tenant, user, req.Transport(), offer); why != "" {
		m.log.Warn("SRTP offer refused", "tenant", tenant, "ext", user, "ip", sourceAddr(req), "transport", req.Transport(), "reason", why)
		m.rejectCall(ctx, req, tx, tenant, user, callee, start, 488, "Not Acceptable Here", DispositionRejected, why)
		return
	}
	if req.GetHeader("Replaces") != nil && from.carrier == nil {
		m.onInviteReplaces(req, tx, tenant, user, offer)
		return
	}
	var app Application
	if mode, agent, ok := monitorCode(callee); ok && m.supervision != nil && from.carrier == nil {
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
	var plan *trunk.Plan
	if app == nil {
		var known bool
		targets, known = m.loc.Locate(tenant, callee)
		if !known {
			var taken bool
			if plan, taken = m.outboundPlan(ctx, req, tx, from); taken && plan == nil {
				return // refused, and answered
			}
			if !taken {
				m.rejectCall(ctx, req, tx, tenant, user, callee, start, 404, "Not Found", DispositionNotFound, "")
				return
			}
		} else if len(targets) == 0 {
			m.rejectCall(ctx, req, tx, tenant, user, callee, start, 480, "Temporarily Unavailable", DispositionUnavailable, "")
			return
		}
	}
	// A carrier's caller is no extension, and the carrier's address is
	// every caller's: the trunk's own caps count those calls instead.
	ext, src := user, sourceIP(req)
	if from.carrier != nil {
		ext, src = "", netip.Addr{}
	}
	slot, why := m.admit.admit(tenant, ext, src, app != nil)
	if why != refusalNone {
		if plan != nil {
			plan.End()
		}
		m.refuseCall(ctx, req, tx, tenant, user, callee, start, why)
		return
	}
	bridge, err := m.relay.NewBridge()
	if err != nil {
		if plan != nil {
			plan.End()
		}
		m.admit.release(slot)
		m.log.Error("no media ports", "err", err)
		m.rejectCall(ctx, req, tx, tenant, user, callee, start, 503, "Service Unavailable", DispositionFailed, "media ports exhausted")
		return
	}
	// No 100 Trying of our own: the server transaction sends one if nothing
	// else has gone out 200 ms after the INVITE (RFC 3261 §17.2.1), and a
	// callee that rings at once makes it a datagram per call for nothing.

	c := &call{
		m: m, id: randomHex(12), tenant: tenant, caller: user, callee: callee,
		bridge: bridge, codecs: keptCodecs(codecs), dtmf: keptDTMF(offer.DTMF), ptime: offer.PTime,
		offerDir: offer.Direction, aFinal: make(chan struct{}), acked: make(chan struct{}), start: start, disposition: DispositionNoAnswer,
		slot: slot, carrierIn: from.carrier, plan: plan,
	}
	c.keepInvite(req, tx)
	release = false
	c.sdpOut[sideA] = sdp.NewVersionCounter("yimen", uint64(start.UnixNano()), 1)
	c.sdpOut[sideB] = sdp.NewVersionCounter("yimen", uint64(start.UnixNano())+1, 1)
	fh := req.From()
	c.a = &dialog{
		callID: req.CallID().Value(), local: textOf(req.To().Address), localTag: newTag(),
		remote: textOf(fh.Address), transport: req.Transport(), seq: 0,
	}
	tag, _ := fh.Params.Get("tag")
	c.a.remoteTag = strings.Clone(tag)
	if ct := req.Contact(); ct != nil {
		c.a.target = textOf(ct.Address)
	} else {
		c.a.target = c.a.remote
	}
	c.a.dest = req.Source()
	c.a.flow = streamTransport(req.Transport()) && from.carrier == nil // the caller's connection; a carrier's is the trunk's
	if from.carrier != nil {
		m.carrierSide(c.a)
	}
	c.setRemote(sideA, offer)
	bridge.Start()

	c.offer = offer
	c.done = make(chan struct{})
	c.ctx, c.cancel = newCallContext()
	m.track(c, c.a.callID)
	c.onCancel = newCancelHook(c)
	tx.OnCancel(c.onCancel.fire)
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
	if plan != nil {
		c.nextTrunkLocked()
	}
	if len(c.forks) == 0 && plan == nil {
		// Every contact failed before it could ring: its connection is
		// gone and its Contact did not take one (a TLS phone whose flow
		// closed), or it may not be called (SRTP required, registered
		// without TLS). As with no contact at all (RFC 5626 §5.3).
		c.disposition, c.code = DispositionUnavailable, 480
		c.respondALocked(480, "Temporarily Unavailable", nil)
		c.mu.Unlock()
		c.end("system", CauseError)
		return
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
	return c != nil && !c.origin && c.a.callID == cid.Value() && c.aSeq == cseq.SeqNo
}

// keepInvite keeps the caller's INVITE and its transaction until the ACK,
// and copies out what the call needs of them after (call.go).
func (c *call) keepInvite(req *sip.Request, tx sip.ServerTransaction) {
	c.aInvite, c.aTx = req, tx
	c.aSeq = req.CSeq().SeqNo
	// Copies, not slices of the INVITE's lines (route's caller and callee).
	c.aHost, c.aPort = strings.Clone(req.Recipient.Host), req.Recipient.Port
	if fh := req.From(); fh != nil {
		c.aDisplay = strings.Clone(fh.DisplayName)
	}
}

// forgetInvite lets the caller's INVITE, its transaction and the 2xx the
// transaction keeps go once the caller has ACKed: about 4 KB a call that
// an answered call would otherwise hold for its whole length.
func (c *call) forgetInvite() {
	c.mu.Lock()
	c.aInvite, c.aTx = nil, nil
	c.mu.Unlock()
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
	return c.legSDP(sideA, codecs, dtmf, ans.Direction, c.offer)
}

// cancelHook lets the caller's INVITE transaction reach its call when a
// CANCEL comes, without holding the call: after a 2xx the transaction
// lingers for Timer L (32 s, RFC 6026) and, holding the call, would keep its
// media bridge, dialogs and SDP alive that long after it ended. At 1000
// calls/s that was most of the PBX's memory.
type cancelHook struct{ c atomic.Pointer[call] }

func newCancelHook(c *call) *cancelHook {
	h := &cancelHook{}
	h.c.Store(c)
	return h
}

// fire is the transaction's OnCancel.
func (h *cancelHook) fire(*sip.Request) {
	if c := h.c.Load(); c != nil {
		c.onCallerCancel()
	}
}

// release lets the call go; a CANCEL after the call's end finds nothing.
func (h *cancelHook) release() { h.c.Store(nil) }

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

// respondALocked sends a response to the caller's INVITE with our To tag.
func (c *call) respondALocked(code int, reason string, body []byte) *sip.Response {
	if c.finalSent || c.aTx == nil { // an originated call has no INVITE of the caller's to answer
		return nil
	}
	res := sip.NewResponseFromRequest(c.aInvite, code, reason, body)
	res.To().Params.Add("tag", c.a.localTag)
	if code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: c.m.dialogContact(c.a)})
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
		c.offer = nil // answered from it, or never to be: the rest needs offerDir only
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
			c.forgetInvite()
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
			c.resend2xx(res)
			interval = min(interval*2, sip.T2)
		}
	}
}

// resend2xx retransmits our 2xx through the caller's INVITE transaction
// while it lasts, then through the transport: the transaction leaves its
// Accepted state after Timer L (pbx's setAcceptedTimers: 2 s) while the
// 2xx is retransmitted until the ACK or 64*T1.
func (c *call) resend2xx(res *sip.Response) {
	// c.aTx is only cleared by forgetInvite, on this goroutine.
	select {
	case <-c.aTx.Done():
	default:
		if c.aTx.Respond(res) == nil {
			return
		}
	}
	if c.m.resp == nil {
		return
	}
	if err := c.m.resp.WriteResponse(res); err != nil {
		c.m.log.Debug("2xx retransmission failed", "call", c.id, "err", err)
	}
}

func (c *call) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateEnded
}

func (c *call) gotAck() { c.ackOnce.Do(func() { close(c.acked) }) }

// rejectCall answers an authenticated INVITE that cannot be connected and records it.
// extra headers are added to the response.
func (m *Manager) rejectCall(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, tenant, caller, callee string, start time.Time, code int, reason string, disposition Disposition, warning string, extra ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if warning != "" {
		res.AppendHeader(sip.NewHeader("Warning", `399 yimen "`+warning+`"`))
	}
	for _, h := range extra {
		res.AppendHeader(h)
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

// sourceIP is the address req came from, zero if unknown.
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func sourceAddr(req *sip.Request) string {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return ""
	}
	return ap.Addr().String()
}
