package b2bua

import (
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// Observer is told about call lifecycle events: the recorder attaches a tap
// on answer, the CTI hub turns them into events. Methods are called outside
// the call's lock, in order per call, and must return quickly.
type Observer interface {
	CallAnswered(c CallInfo, bridge *media.Bridge)
	CallHold(c CallInfo, onHold bool)
	CallEnded(c CallInfo, cdr pbxstore.CDR)
}

// AddObserver registers o before the PBX starts serving.
func (m *Manager) AddObserver(o Observer) { m.observers = append(m.observers, o) }

func (c *call) info() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	ci := CallInfo{ID: c.id, Tenant: c.tenant, Caller: c.caller, Callee: c.callee, Start: c.start, Answered: c.answered, OnHold: !c.holdSince.IsZero()}
	if c.winner != nil {
		ci.Connected = c.winner.ext
	}
	switch c.state {
	case stateRinging:
		ci.State = "ringing"
	case stateAnswered:
		ci.State = "answered"
	default:
		ci.State = "ended"
	}
	ci.CallerRTP = c.leg(sideA).LocalAddr().String()
	ci.CalleeRTP = c.leg(sideB).LocalAddr().String()
	return ci
}
