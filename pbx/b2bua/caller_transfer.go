package b2bua

import (
	"fmt"
	"net/netip"

	"github.com/yimen/yimen/internal/errs"
)

// Transfers by the calling side. The B2BUA keeps a call's sides fixed: A is
// whoever the call was set up from (the agent's desk phone when it dialled,
// the agent's phone the PBX rang first for click-to-dial), B the party
// reached. When the agent on side A transfers, the party on side B stays
// where it is and the target takes side A's place: it is rung from the PBX
// as a call of its own and joined into side A (its dialog and relay leg
// come over, its media is spliced), exactly as a consultation's target is
// joined into side B when the called agent transfers. c.a keeps the dialog
// the call was set up with, for its identity (CDR, journal); dialogFor(A)
// and extOf(A) name whoever is on side A now.

// callerBlindTransferLocked lets ext (on side A) go and rings to from the
// PBX; once to answers it is joined into side A, talking with side B. If to
// does not answer, the call ends. beforeBye runs before ext's BYE (the
// REFER's NOTIFY). Called with c.mu held; returns with it released.
func (m *Manager) callerBlindTransferLocked(c *call, ext, to string, beforeBye func()) error {
	// Refuse a target that cannot ring before letting the agent go, so the
	// agent stays with the other party.
	if targets, known := m.loc.Locate(c.tenant, to); !known || len(targets) == 0 {
		c.mu.Unlock()
		if !known {
			return fmt.Errorf("transfer: extension %s: %w", to, errs.ErrNotFound)
		}
		return fmt.Errorf("transfer: extension %s is not registered: %w", to, errs.ErrUnavailable)
	}
	old := c.dialogFor(sideA)
	far := c.unspliceLocked() // side A's party came by transfer: its own bridge goes with it
	c.aLeft = true
	c.leg(sideA).SetRemote(netip.AddrPort{})
	c.bridge.SetHold(sideA, false)
	c.bridge.SetHold(sideB, false)
	tr := &ringing{done: make(chan struct{})} // marks the call busy meanwhile
	c.transfer = tr
	party := c.winner.ext // the target sees who it is getting
	c.mu.Unlock()
	m.letGo(c, old, far, ext, to, beforeBye)

	failed := func(cause Cause) {
		if m.finishCallerTransfer(c, tr) {
			m.log.Info("transfer target did not answer", "call", c.id, "to", to)
			c.hangup("system", cause)
		}
	}
	k, err := m.originateCall(c.tenant, to, "transfer:"+ext, party, c, nil,
		func(ok bool) {
			if !ok {
				go failed(CauseTransferFailed)
			}
		},
		func(k *call) {
			if _, err := m.join(c, k, sideA, sideA, false); err != nil {
				m.log.Info("blind transfer: join failed", "call", c.id, "to", to, "err", err)
				k.hangup("system", CauseTransferAbandoned)
				failed(CauseTransferFailed)
				return
			}
			m.finishCallerTransfer(c, tr)
		})
	if err != nil {
		m.log.Info("blind transfer: target not rung", "call", c.id, "to", to, "err", err)
		failed(CauseTransferFailed)
		return nil // ext is gone already; the call's end tells the rest
	}
	go func() { // the other party hung up while the target rings: stop ringing
		select {
		case <-c.done:
			if m.finishCallerTransfer(c, tr) {
				k.hangup("system", CauseTransferAbandoned)
			}
		case <-tr.done:
		}
	}()
	return nil
}

// finishCallerTransfer ends the transfer in progress tr once; false when it
// had ended already.
func (m *Manager) finishCallerTransfer(c *call, tr *ringing) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.transfer != tr {
		return false
	}
	c.transfer = nil
	close(tr.done)
	return true
}

// unalias forgets callID as a dialog of c (a party that left the call).
func (m *Manager) unalias(c *call, callID string) {
	m.mu.Lock()
	if m.byCallID[callID] == c {
		delete(m.byCallID, callID)
	}
	m.mu.Unlock()
}
