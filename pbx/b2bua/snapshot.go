package b2bua

import (
	"fmt"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// CallInfo is a point-in-time view of a call in progress (for the admin API
// and the wallboard): the call as its events report it, plus its relay
// addresses and packet counts.
type CallInfo struct {
	callevent.Call
	CallerRTP string    // relay address facing the caller
	CalleeRTP string    // relay address facing the callee
	PacketsIn [2]uint64 // caller, callee
}

// Calls lists the calls in progress.
func (m *Manager) Calls() []CallInfo {
	m.mu.Lock()
	list := make([]*call, 0, len(m.calls))
	for c := range m.calls {
		list = append(list, c)
	}
	m.mu.Unlock()
	out := make([]CallInfo, 0, len(list))
	for _, c := range list {
		ci := c.info()
		ci.PacketsIn = [2]uint64{c.leg(sideA).Stats().PacketsIn, c.leg(sideB).Stats().PacketsIn}
		out = append(out, ci)
	}
	return out
}

// HangupParty ends a call of tenant by id for ext, a party of it: the
// caller's or the answering extension, or one still ringing. A call ext is
// not on is ErrForbidden, so an agent cannot end a colleague's call by id.
func (m *Manager) HangupParty(tenant, callID, ext string) error {
	c, err := m.find(tenant, callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	party := ext != "" && (c.extOf(sideA) == ext || c.extOf(sideB) == ext)
	for _, f := range c.forks {
		party = party || (f.ext == ext && c.winner == nil)
	}
	c.mu.Unlock()
	if !party {
		return fmt.Errorf("extension %s is not on call %s: %w", ext, callID, errs.ErrForbidden)
	}
	c.hangup("system", CauseCTIHangup)
	return nil
}
