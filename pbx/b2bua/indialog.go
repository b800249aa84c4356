package b2bua

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/sdp"
)

func (m *Manager) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if req.CallID() == nil {
		return
	}
	c := m.lookup(req.CallID().Value())
	if c == nil || c.a.callID != req.CallID().Value() || c.origin {
		return
	}
	if req.CSeq() != nil && req.CSeq().SeqNo == c.aSeq {
		c.gotAck()
	}
}

// callOf finds the call of an in-dialog request and which side sent it,
// answering 481 when there is none or the sender is no longer its party
// there (it was transferred away).
func (m *Manager) callOf(req *sip.Request, tx sip.ServerTransaction) (*call, int) {
	callID := req.CallID().Value()
	c := m.lookup(callID)
	if c == nil {
		m.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return nil, 0
	}
	side := c.sideOf(callID)
	c.mu.Lock()
	d := c.dialogFor(side)
	gone := (d != nil && d.callID != callID) || (side == sideA && d == nil)
	foreign := !gone && d != nil && !d.sentBy(req)
	c.mu.Unlock()
	if foreign {
		// Same answer as for no dialog at all: the Call-ID alone (seen by
		// anyone on the path, or guessed) must not end, move or transfer
		// a call.
		m.log.Warn("in-dialog request does not match its dialog: refused", "call", c.id, "method", string(req.Method), "source", req.Source())
	}
	if gone || foreign {
		m.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return nil, 0
	}
	if d != nil {
		d.follow(req.Source())
	}
	return c, side
}

// forward sends req in dialog d and waits for its final response.
func (m *Manager) forward(ctx context.Context, d *dialog, req *sip.Request) (*sip.Response, error) {
	tx, err := m.send(ctx, d, req)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res != nil && res.StatusCode >= 200 {
				return res, nil
			}
		case <-tx.Done():
			if err := tx.Err(); err != nil {
				return nil, err
			}
			return nil, sip.ErrTransactionTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *Manager) onBye(req *sip.Request, tx sip.ServerTransaction) {
	// Answered without keeping the transaction for Timer J (32 s): byes
	// answers retransmissions instead.
	defer tx.Terminate()
	if m.byes.has(req.CallID().Value(), req.CSeq().SeqNo) {
		m.reply(tx, req, 200, "OK")
		return
	}
	c, side := m.callOf(req, tx)
	if c == nil {
		return
	}
	c.mu.Lock()
	ok := c.state == stateAnswered && (side == sideA || (c.winner != nil && c.winner.dlg.callID == req.CallID().Value()))
	c.mu.Unlock()
	if !ok {
		m.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	m.byes.add(req.CallID().Value(), req.CSeq().SeqNo, m.now())
	m.reply(tx, req, 200, "OK")
	if side == sideA {
		c.gotAck() // a BYE implies the caller has the dialog
	}
	if m.agentLeftConsult(c, side) {
		return // the agent hung up while consulting: the transfer completed
	}
	if side == sideB && c.app && !c.origin {
		c.unbridge() // back to the application (survey, menu)
		return
	}
	c.hangup(sideNames[side], CauseBye)
}

// onReinvite relays a re-INVITE (hold, unhold, address change) to the other leg
// and the other leg's answer back, keeping both pointed at the relay.
func (m *Manager) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c, side := m.callOf(req, tx)
	if c == nil {
		return
	}
	other := 1 - side
	c.refreshed.Store(m.now().UnixNano())
	c.mu.Lock()
	if c.state != stateAnswered || c.winner == nil {
		c.mu.Unlock()
		m.reply(tx, req, 491, "Request Pending")
		return
	}
	if c.reinviting {
		c.mu.Unlock()
		m.reply(tx, req, 491, "Request Pending")
		return
	}
	c.reinviting = true
	od := c.dialogFor(other)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.reinviting = false
		c.mu.Unlock()
	}()
	if side == sideA {
		c.gotAck()
	}

	var offer *sdp.Session
	if len(req.Body()) > 0 {
		o, err := sdp.Parse(req.Body())
		if err != nil {
			m.log.Warn("bad SDP in re-INVITE", "call", c.id, "err", err)
			m.reply(tx, req, 488, "Not Acceptable Here")
			return
		}
		if _, err := o.Negotiate(m.cfg.Codecs); err != nil {
			m.reply(tx, req, 488, "Not Acceptable Here")
			return
		}
		c.mu.Lock()
		ext := c.extOf(side)
		c.mu.Unlock()
		if why := m.offerRefusal(c.tenant, ext, req.Transport(), o); why != "" {
			m.log.Warn("SRTP re-offer refused", "call", c.id, "ext", ext, "transport", req.Transport(), "reason", why)
			m.reply(tx, req, 488, "Not Acceptable Here")
			return
		}
		offer = o
	}
	m.reply(tx, req, 100, "Trying")
	dir := sdp.SendRecv
	if offer != nil {
		dir = offer.Direction
		if offer.Addr.IsUnspecified() {
			dir = sdp.SendOnly // RFC 2543 hold
		}
		c.mu.Lock()
		c.setRemote(side, offer)
		wasHeld := !c.holdSince.IsZero()
		c.trackHold(offer, m.now())
		nowHeld := !c.holdSince.IsZero()
		c.mu.Unlock()
		if wasHeld != nowHeld {
			m.notifyHold(c, nowHeld)
		}
	}

	out := od.newRequest(sip.INVITE, m.contactURI(od.transport))
	out.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	out.SetBody(c.legSDP(other, c.codecs, c.dtmf, dir, nil))
	ctx, cancel := context.WithTimeout(c.ctx, 32*time.Second)
	defer cancel()
	final, err := m.forward(ctx, od, out)
	if err != nil {
		if c.ctx.Err() != nil {
			// The call ended meanwhile (RFC 3261 §15.1.2).
			m.reply(tx, req, 487, "Request Terminated")
			return
		}
		code, reason := relayFailure(err)
		m.reply(tx, req, code, reason)
		return
	}
	if !final.IsSuccess() {
		res := sip.NewResponseFromRequest(req, final.StatusCode, final.Reason, nil)
		m.decorate(res)
		_ = tx.Respond(res)
		return
	}
	ack := od.build(sip.ACK, out.CSeq().SeqNo, m.contactURI(od.transport))
	_ = m.write(od, ack)

	ansDir := sdp.AnswerDirection(dir)
	codecs := c.codecs
	if ans, err := sdp.Parse(final.Body()); err == nil {
		c.mu.Lock()
		c.setRemote(other, ans)
		c.mu.Unlock()
		ansDir = ans.Direction
		if len(ans.Codecs) > 0 {
			codecs = ans.Codecs
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", c.legSDP(side, codecs, c.dtmf, ansDir, offer))
	res.AppendHeader(&sip.ContactHeader{Address: m.contactURI(req.Transport())})
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	m.decorate(res)
	if err := tx.Respond(res); err != nil {
		m.log.Debug("re-INVITE respond failed", "call", c.id, "err", err)
	}
}

// onInfo relays in-dialog INFO (SIP INFO DTMF) to the other leg.
func (m *Manager) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c, side := m.callOf(req, tx)
	if c == nil {
		return
	}
	if side == sideA {
		if push, ok := c.infoKey(req); ok {
			// Answer before acting on the key: the key may end the call,
			// and a BYE overtaking the INFO's 200 confuses the phone.
			m.reply(tx, req, 200, "OK")
			push()
			return
		}
	}
	c.mu.Lock()
	od := c.dialogFor(1 - side)
	answered := c.state == stateAnswered
	c.mu.Unlock()
	if !answered || od == nil {
		m.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	out := od.newRequest(sip.INFO, m.contactURI(od.transport))
	if ct := req.ContentType(); ct != nil {
		out.AppendHeader(sip.NewHeader("Content-Type", ct.Value()))
	}
	out.SetBody(req.Body())
	ctx, cancel := context.WithTimeout(c.ctx, 8*time.Second)
	defer cancel()
	res, err := m.forward(ctx, od, out)
	if err != nil {
		code, reason := relayFailure(err)
		m.reply(tx, req, code, reason)
		return
	}
	m.reply(tx, req, res.StatusCode, res.Reason)
}
