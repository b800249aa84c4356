package b2bua

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/sdp"
	"github.com/yimen/yimen/pbx/trunk"
)

// Forking: a call rings every registered contact of the callee at once, one
// fork (an INVITE client transaction and its early dialog) each; the first
// to answer is side B.
//
// What holds, under c.mu (which guards c.forks, c.winner, c.early and every
// fork's fields):
//   - side A is the caller and never changes here; side B is c.winner, nil
//     until a fork answers (and, in a call an application answered, nil
//     again between transfers: forks then belong to c.transfer).
//   - A fork is over once f.final is set. The first 2xx while the call
//     rings, or while an application's transfer rings, wins; every other
//     fork is CANCELled then.
//   - A fork is CANCELled only after it sent a provisional response (RFC
//     3261 §9.1): until then f.cancelPending stands in, and the CANCEL goes
//     with its first 1xx. CANCELs and BYEs do not use the call's context:
//     they are sent as the call ends.
//   - A 2xx that lost (it crossed our CANCEL, or came after the call ended)
//     is ACKed and hung up. So a fork's transaction is read to its end even
//     after its call ended; once the transaction is gone, a retransmitted
//     2xx reaches HandleStrayResponse and reack.
//   - The caller gets exactly one final response (c.finalSent): the
//     winner's 200, or, once every fork failed, the most telling of their
//     codes (forkFailedLocked).
//
// Who may end the call here: the caller's CANCEL and the ring timer
// (invite.go), and forkFailedLocked when every fork failed. A fork's
// response never ends an answered call.

// fork is one outgoing INVITE to one registered contact of the callee.
type fork struct {
	ext     string // the extension this fork rings
	dropped bool   // no longer wanted by the transfer (counts as failed)
	target  Target
	dlg     *dialog
	// invite is what a CANCEL is built from, kept while the fork may still
	// be cancelled: readFork lets it go with the transaction, and seq (its
	// CSeq) is all an ACK to a retransmitted 2xx needs after that.
	invite        *sip.Request
	seq           uint32
	provisional   bool
	cancelPending bool
	cancelled     bool
	final         int
	carrier       *trunk.Leg // set when the fork goes through a trunk
}

// startFork sends the INVITE for ext to one of its contacts. Called with c.mu held.
func (c *call) startFork(t Target, ext string) {
	m := c.m
	dir := sdp.SendRecv
	if c.offerDir != "" {
		dir = c.offerDir
	}
	callerURI := sip.Uri{Scheme: "sip", User: c.caller, Host: m.cfg.Host, Port: m.cfg.Port}
	calleeURI := sip.Uri{Scheme: "sip", User: ext, Host: m.cfg.Host, Port: m.cfg.Port}
	if c.aHost != "" {
		calleeURI.Host, calleeURI.Port = c.aHost, c.aPort
	}
	d := &dialog{
		callID: randomHex(16) + "@" + m.cfg.Host, local: textOf(callerURI), localTag: newTag(),
		remote: textOf(calleeURI), target: textOf(t.URI), dest: t.Dest.String(), transport: t.Transport, flow: t.Flow,
	}
	req := d.newRequest(sip.INVITE, m.contactURI(t.Transport))
	if c.display != "" {
		req.From().DisplayName = c.display
	} else if c.aDisplay != "" {
		req.From().DisplayName = c.aDisplay
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if m.cfg.UserAgent != "" {
		req.AppendHeader(sip.NewHeader("User-Agent", m.cfg.UserAgent))
	}
	if !c.offerSRTPTo(ext, t) {
		return
	}
	req.SetBody(c.legSDP(sideB, c.codecs, c.dtmf, dir, nil))
	f := &fork{target: t, dlg: d, invite: req, seq: req.CSeq().SeqNo, ext: ext}
	tx, err := m.send(c.ctx, d, req)
	if err != nil {
		m.log.Warn("fork INVITE failed", "call", c.id, "dest", t.Dest.String(), "err", err)
		return
	}
	c.forks = append(c.forks, f)
	m.alias(c, d.callID)
	go c.readFork(f, tx)
}

// readFork feeds one fork's responses into the call until its transaction
// ends. The transaction is not kept in the fork: it holds the INVITE and the
// last response (the 2xx of an answered call), which an answered call would
// otherwise keep for as long as it lasts.
func (c *call) readFork(f *fork, tx sip.ClientTransaction) {
	defer c.forkTxOver(f)
	for {
		select {
		case res := <-tx.Responses():
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
				tx.Terminate()
				return
			}
		case <-tx.Done():
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

// forkTxOver lets the fork's INVITE go once its transaction is over: the
// fork has its final answer then (readFork sets 408 if none came), and a
// fork with one is never CANCELled.
func (c *call) forkTxOver(f *fork) {
	c.mu.Lock()
	f.invite = nil
	c.mu.Unlock()
}

func (c *call) onForkResponse(f *fork, res *sip.Response) {
	code := res.StatusCode
	c.mu.Lock()
	wasRinging := c.state == stateRinging
	rang := ""
	defer func() {
		answered := wasRinging && c.state == stateAnswered
		c.mu.Unlock()
		if rang != "" {
			c.m.notifyRinging(c, rang)
		}
		if answered {
			c.m.notifyAnswered(c, c.bridge)
		}
	}()
	switch {
	case code < 200:
		if code == 100 {
			return
		}
		if !f.provisional && f.final == 0 && !f.cancelPending && f.carrier == nil {
			rang = f.ext // an extension of the tenant, not a number on a trunk
		}
		f.provisional = true
		if f.cancelPending {
			c.cancelFork(f)
			return
		}
		if c.state != stateRinging || c.finalSent {
			return
		}
		if len(res.Body()) > 0 && c.early == nil && (f.carrier == nil || f.carrier.EarlyMedia) {
			if ans, err := sdp.Parse(res.Body()); err == nil && ans.Port != 0 && c.answerRefusal(f, ans) == "" {
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
		f.dlg.remoteTag = strings.Clone(tag) // not a slice of the 2xx's To line
	}
	if ct := res.Contact(); ct != nil {
		f.dlg.target = textOf(ct.Address)
	}
	f.dlg.follow(res.Source())
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
	if why := c.answerRefusal(f, ans); why != "" {
		m.log.Warn("callee's answer refused", "call", c.id, "ext", f.ext, "reason", why)
		m.sendBye(f.dlg)
		f.final = 488
		c.forkFailedLocked()
		return
	}
	c.sessionTimerLocked(f, res)
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
		c.ringTimer = nil // and the timer and its function with it
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

func (c *call) ackFork(f *fork) {
	ack := f.dlg.build(sip.ACK, f.seq, c.m.contactURI(f.dlg.transport))
	if err := c.m.write(f.dlg, ack); err != nil {
		c.m.log.Warn("ACK failed", "call", c.id, "err", err)
	}
}

// reack answers a retransmitted 2xx from the callee whose transaction ended.
func (c *call) reack(res *sip.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.forks {
		if f.dlg.callID == res.CallID().Value() {
			f.dlg.follow(res.Source())
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
	if c.failoverLocked() {
		return
	}
	if transfer {
		c.finishTransfer(failureCode(c.forks))
		return
	}
	if c.plan != nil && len(c.forks) > 0 {
		code, reason, disp := carrierFailure(c.forks[len(c.forks)-1].final)
		c.disposition, c.code = disp, code
		c.respondALocked(code, reason, nil)
		go c.end("callee", CauseRejected)
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

func (c *call) cancelForksLocked() {
	for _, f := range c.forks {
		c.cancelFork(f)
	}
}

// cancelFork sends CANCEL for a pending fork (once it has had a provisional
// response, as RFC 3261 §9.1 requires).
func (c *call) cancelFork(f *fork) {
	if f.cancelled || f.final != 0 || f.invite == nil {
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
	frame(req)
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

// failureCode picks the caller-facing code for forks that all failed.
func failureCode(forks []*fork) int {
	code := 480
	for _, f := range forks {
		switch f.final {
		case 486, 600:
			code = 486
		case 603:
			if code != 486 {
				code = 603
			}
		case 408:
			if code == 480 {
				code = 408
			}
		}
	}
	return code
}

// dropForksLocked cancels ext's forks still ringing and marks them no longer
// wanted. Called with c.mu held.
func (c *call) dropForksLocked(ext string) {
	for _, f := range c.forks {
		if f.ext == ext && f.final == 0 {
			c.cancelFork(f)
			f.dropped = true
		}
	}
}
