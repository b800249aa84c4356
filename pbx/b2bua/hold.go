package b2bua

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/sdp"
)

// Hold: a party is put on hold by a re-INVITE offering sendonly (and
// resumed with sendrecv), from the CTI or by a phone's own re-INVITE
// relayed in indialog.go. Hold time is counted for the CDR from the
// direction of the latest offer (trackHold) or the CTI's request.
//
// What holds, under c.mu: c.holdSince is set while the call is on hold and
// c.hold accumulates the closed spells (end adds an open one); one
// re-INVITE at a time (c.reinviting), a second gets 491 or a conflict.

// Hold puts the party on the other side of ext on hold (or takes them off):
// a re-INVITE with sendonly (sendrecv to resume) to that party, and ext's
// audio is no longer relayed to them meanwhile. ext is the agent's extension.
func (m *Manager) Hold(ctx context.Context, tenant, callID, ext string, hold bool) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.state != stateAnswered || c.winner == nil {
		c.mu.Unlock()
		return fmt.Errorf("call %s is not connected: %w", callID, errs.ErrConflict)
	}
	holder := -1
	switch ext {
	case c.winner.ext:
		holder = sideB
	case c.extOf(sideA):
		holder = sideA
	}
	consulting := c.consult != nil
	c.mu.Unlock()
	if holder < 0 {
		return fmt.Errorf("extension %s is not on call %s: %w", ext, callID, errs.ErrForbidden)
	}
	if consulting {
		return fmt.Errorf("call %s: a consultation is in progress (the other party is held already): %w", callID, errs.ErrConflict)
	}
	return m.holdParty(ctx, c, holder, hold)
}

// holdParty re-INVITEs the party opposite holder to hold (sendonly) or
// resume (sendrecv) and stops or resumes passing holder's audio to them.
func (m *Manager) holdParty(ctx context.Context, c *call, holder int, hold bool) error {
	c.mu.Lock()
	if c.state != stateAnswered {
		c.mu.Unlock()
		return fmt.Errorf("call %s is not connected: %w", c.id, errs.ErrConflict)
	}
	if c.reinviting {
		c.mu.Unlock()
		return fmt.Errorf("call %s: a re-INVITE is in progress: %w", c.id, errs.ErrConflict)
	}
	if held := !c.holdSince.IsZero(); held == hold {
		c.mu.Unlock()
		c.setHold(holder, hold)
		return nil
	}
	c.reinviting = true
	held := 1 - holder
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.reinviting = false
		c.mu.Unlock()
	}()

	dir := sdp.SendRecv
	if hold {
		dir = sdp.SendOnly
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.reinviteDir(ctx, c, held, dir); err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	c.setHold(holder, hold)
	c.mu.Lock()
	now := m.now()
	if hold {
		c.holdSince = now
	} else if !c.holdSince.IsZero() {
		c.hold += now.Sub(c.holdSince)
		c.holdSince = time.Time{}
	}
	c.mu.Unlock()
	m.notifyHold(c, hold)
	return nil
}

// trackHold accounts hold time from the direction of the latest offer.
func (c *call) trackHold(offer *sdp.Session, now time.Time) {
	if sdp.IsHold(offer) {
		if c.holdSince.IsZero() {
			c.holdSince = now
		}
		return
	}
	if !c.holdSince.IsZero() {
		c.hold += now.Sub(c.holdSince)
		c.holdSince = time.Time{}
	}
}

// reinviteDir sends side a re-INVITE offering dir, keeping it on its relay leg.
func (m *Manager) reinviteDir(ctx context.Context, c *call, side int, dir sdp.Direction) error {
	c.mu.Lock()
	d := c.dialogFor(side)
	c.mu.Unlock()
	if d == nil {
		return fmt.Errorf("call %s has no party on side %d: %w", c.id, side, errs.ErrConflict)
	}
	out := d.newRequest(sip.INVITE, m.dialogContact(d))
	out.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	out.SetBody(c.legSDP(side, c.codecs, c.dtmf, dir, nil))
	res, err := m.forward(ctx, d, out)
	if err != nil {
		return fmt.Errorf("re-INVITE: %w: %w", err, errs.ErrUnavailable)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, errs.ErrUnavailable)
	}
	_ = m.write(d, d.build(sip.ACK, out.CSeq().SeqNo, m.dialogContact(d)))
	if ans, err := sdp.Parse(res.Body()); err == nil {
		c.mu.Lock()
		c.setRemote(side, ans)
		c.mu.Unlock()
	}
	return nil
}

// setHold stops (or resumes) passing on what side sends: on the bridge, or
// in the splice when the side's audio goes through one.
func (c *call) setHold(side int, held bool) {
	c.mu.Lock()
	sp := c.splice
	c.mu.Unlock()
	if sp != nil {
		sp.held[side].Store(held)
		return
	}
	c.bridge.SetHold(side, held)
}
