package b2bua

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/sdp"
)

// Blind transfer: the party on one side of an answered call is let go and
// the other party is bridged to another extension, from the CTI
// (BlindTransfer) or a phone's REFER (refer.go).
//
// What holds, under c.mu:
//   - A call does one thing at a time: a blind transfer (and a
//     consultation) is refused while c.transfer (a transfer ringing),
//     c.consult (consult.go) or c.reinviting is set. An application's
//     LocalCall.Ring sets c.transfer while no extension is bridged (ring-all
//     adds forks to the one in progress).
//   - transferSideLocked decides who may transfer: side B, the party a queue
//     or a caller reached; side A only when it placed the call (or the PBX
//     placed it for it), never the caller of a call the PBX answered.
//   - Side B transferring: its dialog leaves at once (after the REFER's
//     NOTIFY), c.winner is nil while the target rings as forks of
//     c.transfer, and side A is not touched (no re-INVITE: the target gets
//     side B's relay leg). Side A transferring: caller_transfer.go.
//   - c.transfer's done is closed exactly once, with its code (and the
//     extension that answered) set first: finishTransfer here,
//     finishCallerTransfer for side A.
//
// Who ends the call: when the target does not answer, a call that came
// through an application goes back to it (bridgeEnded is closed) and any
// other call ends with CauseTransferFailed. The remaining party may hang up
// at any time; the target's ringing stops with the call's context.

// ringing is a transfer in progress: forks to one or more extensions, the
// first answer wins. done is closed with code (and ext, who answered) set.
type ringing struct {
	done chan struct{}
	code int
	ext  string
}

// BlindTransfer moves the party on the other side of ext to the extension
// to: ext's leg is hung up, to is rung, and the other party is bridged to
// whoever answers. If nobody answers, a call that came through the IVR goes
// back to its flow; any other call ends. ext may be either side: the agent
// a queue or a caller reached, or the agent who placed the call (then to
// is rung from the PBX and joined in ext's place once it answers).
func (m *Manager) BlindTransfer(ctx context.Context, tenant, callID, ext, to string) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	return m.blindTransfer(c, ext, to, nil)
}

// blindTransfer detaches ext's leg, runs beforeBye (the REFER's NOTIFY), hangs
// the leg up and rings to.
func (m *Manager) blindTransfer(c *call, ext, to string, beforeBye func()) error {
	callID := c.id
	c.mu.Lock()
	side, err := c.transferSideLocked(ext)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if c.reinviting || c.transfer != nil || c.consult != nil {
		c.mu.Unlock()
		return fmt.Errorf("call %s is busy: %w", callID, errs.ErrConflict)
	}
	if c.joinedSideLocked() == 1-side {
		c.mu.Unlock()
		return fmt.Errorf("call %s: the other party came by transfer and talks through a splice; transferring it again is not supported: %w", callID, errs.ErrUnavailable)
	}
	if side == sideA {
		return m.callerBlindTransferLocked(c, ext, to, beforeBye)
	}
	old := c.winner.dlg
	c.winner = nil
	c.leg(sideB).SetRemote(netip.AddrPort{})
	far := c.unspliceLocked()
	c.bridge.SetHold(sideA, false)
	c.bridge.SetHold(sideB, false)
	c.mu.Unlock()
	m.letGo(c, old, far, ext, to, beforeBye)
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, m.cfg.RingTimeout)
		defer cancel()
		code, _, err := (&LocalCall{c: c}).Ring(ctx, to)
		if err == nil && code == 200 {
			return
		}
		m.log.Info("transfer target did not answer", "call", callID, "to", to, "code", code)
		c.mu.Lock()
		app, origin := c.app, c.origin
		c.mu.Unlock()
		if app && !origin {
			c.mu.Lock()
			c.endBridgeLocked()
			tap := c.appTap
			c.mu.Unlock()
			if tap != nil {
				c.bridge.SetTap(tap)
			}
			return
		}
		c.hangup("system", CauseTransferFailed)
	}()
	return nil
}

// letGo hangs up ext's leg old for a blind transfer to to: far (the
// bridge of a party ext had joined from another call) is closed,
// beforeBye run, and observers told ext is done with the call whatever the
// target does next.
func (m *Manager) letGo(c *call, old *dialog, far *media.Bridge, ext, to string, beforeBye func()) {
	if far != nil {
		_ = far.Close()
	}
	if beforeBye != nil {
		beforeBye()
	}
	m.sendBye(old)
	m.log.Info("blind transfer", "call", c.id, "from", ext, "to", to)
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferBlind, State: callevent.ConsultCompleted, From: ext, To: to})
}

// connectTransfer bridges the caller to the fork that answered. Called with c.mu held.
func (c *call) connectTransfer(f *fork, ans *sdp.Session) {
	if c.bridgeEnded == nil { // kept across a blind transfer: the flow waits on it
		c.bridgeEnded = make(chan struct{})
	}
	c.winner = f
	c.setRemote(sideB, ans)
	for _, o := range c.forks {
		if o != f {
			c.cancelFork(o)
		}
	}
	c.bridge.SetTap(nil)
	c.transfer.ext = f.ext
	c.finishTransfer(200)
	go func() { c.m.notifyAnswered(c, c.bridge) }()
}

// finishTransfer reports a transfer's outcome once. Called with c.mu held.
func (c *call) finishTransfer(code int) {
	if c.transfer == nil {
		return
	}
	c.transfer.code = code
	close(c.transfer.done)
	c.transfer = nil
}

// transferSideLocked is the side from which ext may transfer or consult:
// B when ext is the party a queue or a caller reached, A when ext placed the
// call (or the PBX placed it for ext). The caller of a call the PBX
// answered (an IVR's customer) does not transfer. Called with c.mu held.
func (c *call) transferSideLocked(ext string) (int, error) {
	switch {
	case c.state != stateAnswered || c.winner == nil:
		return -1, fmt.Errorf("call %s is not connected: %w", c.id, errs.ErrConflict)
	case c.winner.ext == ext:
		return sideB, nil
	case ext != "" && c.extOf(sideA) == ext && (!c.app || c.origin):
		return sideA, nil
	}
	return -1, fmt.Errorf("extension %s is not on call %s: %w", ext, c.id, errs.ErrForbidden)
}
