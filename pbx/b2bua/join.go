package b2bua

import (
	"errors"
	"fmt"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/media"
)

// Joining calls: a party of one call (the donor) takes the place of a party
// of another (the keeper), for a completed consultation, a REFER with
// Replaces, an INVITE with Replaces and a transfer by side A.
//
// What holds: both calls' locks are taken in the order of their ids, so two
// joins of the same pair cannot deadlock; the party's dialog and relay leg
// come over unchanged and its media is spliced (splice.go), so nobody is
// re-INVITEd; a call has at most one splice, so a keeper whose other side
// is itself a joined party refuses. Once joined, the donor ends with
// CauseTransferred; the keeper goes on under its own id and CDR.

var errJoin = errors.New("join")

// join moves the party on side moved of donor into keeper's side into, in
// place of keeper's party there. The party's dialog and relay leg come over
// as they are (its media is spliced: no re-INVITE); keeper's old party on
// that side is sent BYE unless byeOld is false (it hung up or left
// already), donor's other party (if any) is sent BYE, and donor ends as
// "transferred". It returns the extension that came over.
func (m *Manager) join(keeper, donor *call, moved, into int, byeOld bool) (string, error) {
	first, second := keeper, donor
	if donor.id < keeper.id {
		first, second = donor, keeper
	}
	first.mu.Lock()
	second.mu.Lock()
	unlock := func() { second.mu.Unlock(); first.mu.Unlock() }
	pd := donor.dialogFor(moved)
	if keeper.state != stateAnswered || keeper.winner == nil || donor.state != stateAnswered || pd == nil {
		unlock()
		return "", fmt.Errorf("%w: calls %s and %s are not both connected: %w", errJoin, keeper.id, donor.id, errs.ErrConflict)
	}
	// One splice per call: the party staying must be on keeper's own leg.
	if keeper.joinedSideLocked() == 1-into {
		unlock()
		return "", fmt.Errorf("%w: call %s: its other party came by transfer; one more transfer on this side is not supported: %w", errJoin, keeper.id, errs.ErrUnavailable)
	}
	ext := donor.extOf(moved)
	other := donor.dialogFor(1 - moved) // nil for the PBX's consultation call
	old := keeper.dialogFor(into)       // nil when the caller left for a blind transfer
	// The party's media: donor's own leg, or the leg donor itself had
	// joined from a third call.
	far, farLeg := donor.bridge, moved
	var otherFar *media.Bridge // the leg of donor's other party, when joined from a third call
	switch donor.joinedSideLocked() {
	case moved:
		far, farLeg = donor.splice.far, donor.splice.farLeg
		donor.splice, donor.keepBridge = nil, false
	case 1 - moved:
		otherFar = donor.splice.far
		donor.splice, donor.keepBridge = nil, true
	default:
		donor.keepBridge = true
	}
	donor.joinedLeg[sideA].Store(nil)
	donor.joinedLeg[sideB].Store(nil)
	var prevFar *media.Bridge // a party keeper had joined before, now replaced
	if sp := keeper.splice; sp != nil && sp.joined && sp.far != far {
		prevFar = sp.far
	}
	if into == sideB {
		f := &fork{ext: ext, dlg: pd, final: 200}
		keeper.winner = f
		keeper.forks = append(keeper.forks, f)
	} else {
		keeper.aJoined.Store(pd)
		keeper.aExt, keeper.aLeft = ext, false
	}
	keeper.spliceTo(1-into, far, farLeg, true)
	unlock()
	for _, b := range []*media.Bridge{prevFar, otherFar} {
		if b != nil {
			_ = b.Close()
		}
	}
	m.alias(keeper, pd.callID)
	if into == sideA && old != nil && old != keeper.a {
		m.unalias(keeper, old.callID) // a party joined earlier, now gone
	}
	if byeOld && old != nil {
		m.sendBye(old)
	}
	if other != nil {
		m.sendBye(other)
	}
	donor.end("system", CauseTransferred)
	m.log.Info("calls joined", "call", keeper.id, "from_call", donor.id, "side", sideNames[into], "to", ext)
	return ext, nil
}
