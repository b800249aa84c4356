package b2bua

import (
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// CallInfo is a point-in-time view of a call in progress (for the admin API
// and the wallboard).
type CallInfo struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Caller    string    `json:"caller"`
	Callee    string    `json:"callee"`
	State     string    `json:"state"`
	Start     time.Time `json:"start"`
	Answered  time.Time `json:"answered,omitzero"`
	OnHold    bool      `json:"on_hold"`
	CallerRTP string    `json:"caller_rtp"`          // relay address facing the caller
	CalleeRTP string    `json:"callee_rtp"`          // relay address facing the callee
	Connected string    `json:"connected,omitempty"` // the extension bridged on the callee side (the agent)
	PacketsIn [2]uint64 `json:"packets_in"`          // caller, callee
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
