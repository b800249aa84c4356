package b2bua

import (
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/pbx/media"
)

// Splicing: a side of a call talks with a party whose relay leg belongs to
// another bridge (a consulted target, or a party joined from another call).
//
// What holds: c.splice is set and cleared under c.mu (spliceTo,
// unspliceLocked), and a call has at most one; while it is set both of the
// call's own legs are held on its bridge, so the bridge relays nothing
// itself and the taps carry the audio. The taps run on the media path: they
// read only the splice's fixed fields and its atomic held flags, never
// c.mu, and allocate nothing. A joined splice (sp.joined) owns the far
// bridge, which unspliceLocked hands back for its caller to close outside
// the lock.

// splice carries media between one side of a call and a party whose relay
// leg belongs to another bridge (the consulted extension, or the party a
// transfer brought over from another call). The relay forwards only between
// the two legs of one bridge, so the two bridges' taps do it: what the near
// side sends goes out of the far leg, and back. The call's own legs are held
// meanwhile, so its bridge forwards nothing itself; taps still see held
// packets, which is what makes this work.
type splice struct {
	c      *call
	near   int           // the call's side the far party talks with
	far    *media.Bridge // the other party's bridge
	farLeg int           // its leg facing the party
	prev   media.Tap     // the call's tap before the splice (the recorder), still fed
	// joined: the far party has replaced the call's other side (1-near: a
	// completed transfer), so its audio is shown to the call's tap as that
	// side's.
	joined bool
	// held[side]: that side's audio is not passed on (hold while spliced).
	held [2]atomic.Bool
}

// spliceTo joins side near of c to leg farLeg of far. Called with c.mu held;
// the taps take over at once.
func (c *call) spliceTo(near int, far *media.Bridge, farLeg int, joined bool) *splice {
	sp := &splice{c: c, near: near, far: far, farLeg: farLeg, joined: joined}
	if old := c.splice; old != nil {
		sp.prev = old.prev
	} else {
		sp.prev = c.bridge.Tap()
	}
	c.bridge.SetHold(sideA, true)
	c.bridge.SetHold(sideB, true)
	far.SetHold(farLeg, true)
	c.splice = sp
	if joined {
		c.joinedLeg[1-near].Store(far.Leg(farLeg))
	}
	c.bridge.SetTap(nearTap{sp})
	far.SetTap(farTap{sp})
	return sp
}

// unsplice undoes the splice: the call's bridge relays its own legs again
// and gets its earlier tap back. It returns the far bridge when the call
// owned it (a completed transfer), for the caller to close outside the lock.
// Called with c.mu held.
func (c *call) unspliceLocked() *media.Bridge {
	sp := c.splice
	if sp == nil {
		return nil
	}
	c.splice = nil
	c.joinedLeg[sideA].Store(nil)
	c.joinedLeg[sideB].Store(nil)
	c.bridge.SetTap(sp.prev)
	c.bridge.SetHold(sideA, false)
	c.bridge.SetHold(sideB, false)
	if sp.joined {
		return sp.far
	}
	sp.far.SetTap(nil)
	return nil
}

// lastPacket is when either party last sent RTP, for the media timeout.
func (c *call) lastPacket() time.Time {
	last := c.bridge.LastPacket()
	c.mu.Lock()
	sp := c.splice
	c.mu.Unlock()
	if sp != nil {
		if t := sp.far.LastPacket(); t.After(last) {
			last = t
		}
	}
	return last
}

// nearTap is the call's bridge tap while spliced.
type nearTap struct{ sp *splice }

func (t nearTap) OnRTP(leg int, pkt []byte) {
	sp := t.sp
	if sp.prev != nil {
		sp.prev.OnRTP(leg, pkt)
	}
	if leg == sp.near && !sp.held[leg].Load() {
		_ = sp.far.Leg(sp.farLeg).WriteRTP(pkt)
	}
}

// farTap is the far bridge's tap: the far party's audio goes out of the
// call's near leg.
type farTap struct{ sp *splice }

func (t farTap) OnRTP(leg int, pkt []byte) {
	sp := t.sp
	if leg != sp.farLeg {
		return
	}
	if sp.joined {
		// The call's tap (recorder, supervisor) hears the new party as the
		// side it replaced; nearTap sends only the near side's packets on,
		// so this does not go back out.
		replaced := 1 - sp.near
		if tap := sp.c.bridge.Tap(); tap != nil {
			tap.OnRTP(replaced, pkt)
		}
		if sp.held[replaced].Load() {
			return
		}
	}
	_ = sp.c.bridge.Leg(sp.near).WriteRTP(pkt)
}

// joinedSideLocked is the side whose party came over from another call and
// talks through the splice, or -1. Called with c.mu held.
func (c *call) joinedSideLocked() int {
	if sp := c.splice; sp != nil && sp.joined {
		return 1 - sp.near
	}
	return -1
}
