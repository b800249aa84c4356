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

// Hangup ends a call of tenant by id (CTI hang-up, supervisor force).
func (m *Manager) Hangup(tenant, callID string) error {
	m.mu.Lock()
	var found *call
	for c := range m.calls {
		if c.id == callID && c.tenant == tenant {
			found = c
			break
		}
	}
	m.mu.Unlock()
	if found == nil {
		return fmt.Errorf("call %s: %w", callID, errs.ErrNotFound)
	}
	found.hangup("system", "cti_hangup")
	return nil
}
