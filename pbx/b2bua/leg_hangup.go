package b2bua

import (
	"fmt"

	"github.com/yimen/yimen/internal/errs"
)

// HangupLeg ends the call that one of whose dialogs has SIP Call-ID legCallID,
// as if that dialog's party hung up, with cause: a party the PBX itself
// plays (the browser agent's gateway, pbx/webrtc) ends its call this way
// rather than by a BYE, so the CDR can say why (agent_gone). The other party
// gets a BYE; the named dialog is the caller of this method's to forget.
func (m *Manager) HangupLeg(legCallID string, cause Cause) error {
	m.mu.Lock()
	c := m.byCallID[legCallID]
	m.mu.Unlock()
	if c == nil {
		return fmt.Errorf("no call has a dialog %s: %w", legCallID, errs.ErrNotFound)
	}
	c.mu.Lock()
	side := sideNames[sideA]
	if d := c.dialogFor(sideB); d != nil && d.callID == legCallID {
		side = sideNames[sideB]
	}
	c.mu.Unlock()
	c.hangup(side, cause)
	return nil
}
