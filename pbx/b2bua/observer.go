package b2bua

import (
	"fmt"

	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// observer is a registered listener, split by the callevent interfaces it
// implements (nil where it does not).
type observer struct {
	ring     callevent.RingObserver
	answer   callevent.AnswerObserver
	media    callevent.MediaObserver
	hold     callevent.HoldObserver
	end      callevent.EndObserver
	transfer callevent.TransferObserver
}

// AddObserver registers o before the PBX starts serving: o hears the events
// of every callevent observer interface it implements (the recorder taps
// the media, the CTI hub turns events into messages). Listeners hear an
// event in the order they were added. A value implementing none of them is
// a wiring mistake, and panics.
func (m *Manager) AddObserver(o any) {
	var ob observer
	ob.ring, _ = o.(callevent.RingObserver)
	ob.answer, _ = o.(callevent.AnswerObserver)
	ob.media, _ = o.(callevent.MediaObserver)
	ob.hold, _ = o.(callevent.HoldObserver)
	ob.end, _ = o.(callevent.EndObserver)
	ob.transfer, _ = o.(callevent.TransferObserver)
	if ob == (observer{}) {
		panic(fmt.Sprintf("b2bua: %T observes no call event", o))
	}
	m.observers = append(m.observers, ob)
}

// bridgeMedia is a call's bridge as the taps see it.
type bridgeMedia struct{ b *media.Bridge }

func (bm bridgeMedia) SetTap(t callevent.Tap) { bm.b.SetTap(t) }

// notifyRinging tells the observers ext started ringing for c. Call it
// without c's lock.
func (m *Manager) notifyRinging(c *call, ext string) {
	ev := callevent.Ringing{Call: c.event(), Ext: ext}
	for _, o := range m.observers {
		if o.ring != nil {
			o.ring.CallRinging(ev)
		}
	}
}

// notifyAnswered tells the observers c was answered on bridge b. Call it
// without c's lock.
func (m *Manager) notifyAnswered(c *call, b *media.Bridge) {
	ev := callevent.Answered{Call: c.event()}
	for _, o := range m.observers {
		if o.media != nil {
			o.media.CallMedia(ev, bridgeMedia{b})
		}
		if o.answer != nil {
			o.answer.CallAnswered(ev)
		}
	}
}

// notifyHold tells the observers c was put on hold or taken off it. Call it
// without c's lock.
func (m *Manager) notifyHold(c *call, held bool) {
	ev := callevent.Hold{Call: c.event(), Held: held}
	for _, o := range m.observers {
		if o.hold != nil {
			o.hold.CallHold(ev)
		}
	}
}

// notifyEnded tells the observers c ended with cdr. Call it without c's lock.
func (m *Manager) notifyEnded(c *call, cdr pbxstore.CDR) {
	ev := callevent.Ended{Call: c.event(), CDR: callevent.CDR{
		Caller: cdr.Caller, Callee: cdr.Callee, Start: cdr.Start, End: cdr.End, Answer: cdr.Answer,
		Ring: cdr.Ring, Talk: cdr.Talk, Hold: cdr.Hold,
		Disposition: cdr.Disposition, HangupSide: cdr.HangupSide, HangupCause: cdr.HangupCause, SIPCode: cdr.SIPCode,
	}}
	for _, o := range m.observers {
		if o.end != nil {
			o.end.CallEnded(ev)
		}
	}
}

// notifyTransfer tells the observers how a transfer of c goes; ev's Call is
// filled in here. Call it without c's lock.
func (m *Manager) notifyTransfer(c *call, ev callevent.Transfer) {
	ev.Call = c.event()
	for _, o := range m.observers {
		if o.transfer != nil {
			o.transfer.CallTransfer(ev)
		}
	}
}

// event is c as the observers see it.
func (c *call) event() callevent.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eventLocked()
}

func (c *call) eventLocked() callevent.Call {
	ev := callevent.Call{ID: c.id, Tenant: c.tenant, Caller: c.caller, Callee: c.callee, Start: c.start, Answered: c.answered, OnHold: !c.holdSince.IsZero()}
	if c.winner != nil {
		ev.Connected = c.winner.ext
	}
	switch c.state {
	case stateRinging:
		ev.State = "ringing"
	case stateAnswered:
		ev.State = "answered"
	default:
		ev.State = "ended"
	}
	return ev
}

func (c *call) info() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CallInfo{Call: c.eventLocked(), CallerRTP: c.leg(sideA).LocalAddr().String(), CalleeRTP: c.leg(sideB).LocalAddr().String()}
}
