package b2bua

import (
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/sdp"
)

// onInviteReplaces takes an INVITE carrying Replaces (RFC 3891): its
// sender takes the place of the party of a dialog the PBX holds — a call
// moved to another phone of the same extension, a transfer completed the
// other way round, a supervisor taking a call over. The new party is
// answered on a bridge of its own and joined into the call's side in the
// replaced party's place (its media is spliced, nobody else is
// re-INVITEd); the replaced party gets BYE. user is the authenticated
// sender, offer its parsed SDP.
//
// Answers: 400 for a malformed Replaces; 481 when no dialog of the tenant
// matches, or it is early and was not set up by us (§3); 486 when it is
// confirmed but the header says early-only, or early (a phone ringing: no
// call pick-up yet); 403 when user is neither a party of the call nor a
// supervisor; 491 while the call is busy with a transfer or re-INVITE; 488
// when the offer lacks the call's codec.
func (m *Manager) onInviteReplaces(req *sip.Request, tx sip.ServerTransaction, tenant, user string, offer *sdp.Session) {
	src := sourceAddr(req)
	r, err := parseReplaces(req.GetHeader("Replaces").Value())
	if err != nil {
		m.log.Info("INVITE with a malformed Replaces", "ip", src)
		m.rejectInvite(tx, req, 400, "Bad Replaces")
		return
	}
	c := m.lookup(r.callID)
	if c == nil || c.tenant != tenant {
		m.log.Info("INVITE Replaces: no such dialog", "ip", src, "user", user)
		m.rejectInvite(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	side := c.sideOf(r.callID)
	c.mu.Lock()
	d := c.dialogFor(side)
	confirmed := c.state == stateAnswered && r.matches(d)
	early := false
	for _, f := range c.forks {
		early = early || (c.state == stateRinging && f.final == 0 && r.matches(f.dlg))
	}
	party := user == c.extOf(sideA) || (c.winner != nil && user == c.winner.ext)
	busy := c.consult != nil || c.transfer != nil || c.reinviting || c.splice != nil
	var codec sdp.Codec
	if len(c.codecs) > 0 {
		codec = c.codecs[0]
	}
	c.mu.Unlock()
	switch {
	case early:
		// Ours, and ringing: RFC 3891 would have us answer the call here
		// (pick-up); the PBX does not do that yet.
		m.log.Info("INVITE Replaces names a ringing leg: pick-up not supported", "call", c.id, "user", user)
		m.rejectInvite(tx, req, 486, "Busy Here")
		return
	case !confirmed:
		m.log.Info("INVITE Replaces: no confirmed dialog matches", "call", c.id, "user", user, "ip", src)
		m.rejectInvite(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	case r.earlyOnly:
		m.rejectInvite(tx, req, 486, "Busy Here")
		return
	case !party && (m.supervision == nil || !m.supervision.Supervisor(tenant, user)):
		m.log.Warn("INVITE Replaces refused: not a party of the call", "call", c.id, "user", user, "ip", src)
		m.rejectInvite(tx, req, 403, "Not A Party Of This Call")
		return
	case busy:
		m.rejectInvite(tx, req, 491, "Request Pending")
		return
	}
	// The new party's audio is carried to the other side as it comes: it
	// must talk the call's codec.
	codecs, err := offer.Negotiate([]string{codec.Name})
	if err != nil || offer.Port == 0 {
		m.rejectInvite(tx, req, 488, "Not Acceptable Here")
		return
	}
	x, err := m.answerReplacing(req, tx, tenant, user, offer, codecs[:1])
	if err != nil {
		m.log.Error("INVITE Replaces: not answered", "call", c.id, "err", err)
		m.rejectInvite(tx, req, 503, "Service Unavailable")
		return
	}
	if _, err := m.join(c, x, sideA, side, true); err != nil {
		m.log.Info("INVITE Replaces: join failed", "call", c.id, "err", err)
		x.hangup("system", CauseReplaceFailed)
		return
	}
	m.log.Info("dialog replaced", "call", c.id, "side", sideNames[side], "by", user)
}

// answerReplacing answers the replacing INVITE on a call of its own (one
// leg, answered), which join then hands over.
func (m *Manager) answerReplacing(req *sip.Request, tx sip.ServerTransaction, tenant, user string, offer *sdp.Session, codecs []sdp.Codec) (*call, error) {
	bridge, err := m.relay.NewBridge()
	if err != nil {
		return nil, err
	}
	now := m.now()
	x := &call{
		m: m, id: randomHex(12), tenant: tenant, caller: user, callee: strings.Clone(req.Recipient.User), // copies, as route's
		bridge: bridge, codecs: keptCodecs(codecs), dtmf: keptDTMF(offer.DTMF), ptime: offer.PTime, offerDir: offer.Direction,
		aFinal: make(chan struct{}), acked: make(chan struct{}), done: make(chan struct{}), start: now,
		offer: offer, state: stateAnswered, answered: now, disposition: DispositionAnswered, code: 200,
	}
	x.keepInvite(req, tx)
	x.ctx, x.cancel = newCallContext()
	x.sdpOut[sideA] = sdp.NewVersionCounter("yimen", uint64(now.UnixNano()), 1)
	x.sdpOut[sideB] = sdp.NewVersionCounter("yimen", uint64(now.UnixNano())+1, 1)
	from := req.From()
	x.a = &dialog{callID: req.CallID().Value(), local: textOf(req.To().Address), localTag: newTag(),
		remote: textOf(from.Address), transport: req.Transport(), dest: req.Source(),
		flow: streamTransport(req.Transport())}
	tag, _ := from.Params.Get("tag")
	x.a.remoteTag = strings.Clone(tag)
	if ct := req.Contact(); ct != nil {
		x.a.target = textOf(ct.Address)
	} else {
		x.a.target = x.a.remote
	}
	x.setRemote(sideA, offer)
	bridge.Start()
	m.track(x, x.a.callID)
	x.mu.Lock()
	res := x.respondALocked(200, "OK", x.legSDP(sideA, codecs, x.dtmf, sdp.AnswerDirection(offer.Direction), offer))
	x.mu.Unlock()
	m.cdrs.answered(x.id, now)
	go x.retransmitUntilAck(res)
	return x, nil
}
