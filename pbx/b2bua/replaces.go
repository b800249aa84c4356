package b2bua

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/sdp"
)

// replaces is a parsed Replaces value (RFC 3891 §6.1): the dialog to replace.
type replaces struct {
	callID, toTag, fromTag string
	earlyOnly              bool
}

var errBadReplaces = fmt.Errorf("malformed Replaces: %w", errs.ErrInvalid)

// parseReplaces reads "callid;to-tag=a;from-tag=b[;early-only]".
func parseReplaces(v string) (replaces, error) {
	parts := strings.Split(strings.TrimSpace(v), ";")
	r := replaces{callID: strings.TrimSpace(parts[0])}
	if r.callID == "" || len(r.callID) > 256 || strings.ContainsAny(r.callID, " \t\r\n<>\"") {
		return r, errBadReplaces
	}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "to-tag":
			r.toTag = strings.TrimSpace(val)
		case "from-tag":
			r.fromTag = strings.TrimSpace(val)
		case "early-only":
			r.earlyOnly = true
		}
	}
	if r.toTag == "" || r.fromTag == "" {
		return r, errBadReplaces
	}
	return r, nil
}

// referReplaces finds the Replaces header embedded in a Refer-To value
// (<sip:1003@pbx?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>); ok is false
// when there is none.
func referReplaces(referTo string) (replaces, bool, error) {
	i := strings.IndexByte(referTo, '?')
	if i < 0 {
		return replaces{}, false, nil
	}
	hdrs := referTo[i+1:]
	if j := strings.IndexByte(hdrs, '>'); j >= 0 {
		hdrs = hdrs[:j]
	}
	for _, h := range strings.Split(hdrs, "&") {
		name, val, _ := strings.Cut(h, "=")
		if !strings.EqualFold(name, "Replaces") {
			continue
		}
		dec, err := url.PathUnescape(val)
		if err != nil {
			return replaces{}, true, errBadReplaces
		}
		r, err := parseReplaces(dec)
		return r, true, err
	}
	return replaces{}, false, nil
}

// matches reports whether d is the dialog r names. The tags are taken in
// either order: the referrer names the dialog as it sees it, from one end
// or the other.
func (r replaces) matches(d *dialog) bool {
	return d != nil && d.callID == r.callID &&
		((d.localTag == r.toTag && d.remoteTag == r.fromTag) || (d.localTag == r.fromTag && d.remoteTag == r.toTag))
}

// onReferReplaces is an attended transfer from a phone (RFC 5589 §7): the
// referrer has two calls through us, REFERs on c naming the other call's
// dialog in Replaces, and its two parties are joined. We hold both dialogs,
// so nothing needs to be sent to the target: its leg is joined where it is.
func (m *Manager) onReferReplaces(req *sip.Request, tx sip.ServerTransaction, c *call, side int, r replaces) {
	src := sourceAddr(req)
	c2 := m.lookup(r.callID)
	if c2 == nil {
		m.log.Info("REFER Replaces: no such dialog", "call", c.id, "ip", src)
		m.reply(tx, req, 481, "Replaced Dialog Does Not Exist")
		return
	}
	if c2 == c {
		m.log.Info("REFER Replaces names the call it was sent on", "call", c.id, "ip", src)
		m.reply(tx, req, 400, "Replaces Names This Call")
		return
	}
	c.mu.Lock()
	d1 := c.dialogFor(side)
	ext1 := c.extOf(side)
	ok1 := c.state == stateAnswered && c.consult == nil && c.transfer == nil
	c.mu.Unlock()
	c2.mu.Lock()
	side2 := c2.sideOf(r.callID)
	d2 := c2.dialogFor(side2)
	ext2 := c2.extOf(side2)
	ok2 := c2.state == stateAnswered && c2.consult == nil && c2.transfer == nil
	c2.mu.Unlock()
	switch {
	case !r.matches(d2):
		m.log.Info("REFER Replaces: tags do not match the dialog", "call", c.id, "other", c2.id, "ip", src)
		m.reply(tx, req, 481, "Replaced Dialog Does Not Exist")
		return
	case d1 == nil || ext1 == "" || ext1 != ext2:
		m.log.Warn("REFER Replaces: the referrer is not on the other call", "call", c.id, "other", c2.id, "referrer", ext1, "ip", src)
		m.reply(tx, req, 403, "Not Your Dialog")
		return
	case !ok1 || !ok2:
		m.reply(tx, req, 491, "Request Pending")
		return
	}
	// The call whose side B is the referrer keeps going (the call the REFER
	// came on when the referrer placed both), with the other call's
	// remaining party brought into the referrer's side.
	keeper, donor, moved, into := c, c2, 1-side2, side
	if side != sideB && side2 == sideB {
		keeper, donor, moved, into = c2, c, 1-side, side2
	}
	m.reply(tx, req, 202, "Accepted")
	keeper.mu.Lock()
	keeperHeld := !keeper.holdSince.IsZero()
	keeper.mu.Unlock()
	donor.mu.Lock()
	donorHeld := !donor.holdSince.IsZero()
	donor.mu.Unlock()
	// NOTIFY before the BYEs the join sends to the referrer's two legs.
	m.notifyRefer(c.ctx, d1, "SIP/2.0 200 OK")
	to, err := m.join(keeper, donor, moved, into, true)
	if err != nil {
		m.log.Info("REFER Replaces: join failed", "call", keeper.id, "other", donor.id, "err", err)
		return
	}
	m.notifyTransfer(keeper, callevent.Transfer{Mode: callevent.TransferAttended, State: callevent.ConsultCompleted, From: ext1, To: to})
	ctx, cancel := context.WithTimeout(keeper.ctx, 10*time.Second)
	defer cancel()
	if keeperHeld {
		if err := m.holdParty(ctx, keeper, into, false); err != nil {
			m.log.Warn("transfer: could not resume the held party", "call", keeper.id, "err", err)
		}
	}
	if donorHeld {
		if err := m.reinviteDir(ctx, keeper, into, sdp.SendRecv); err != nil {
			m.log.Warn("transfer: could not resume the joined party", "call", keeper.id, "err", err)
		}
	}
}

// extOf is the extension on side of c ("" for a number the PBX dialled).
// Called with c.mu held.
func (c *call) extOf(side int) string {
	if side == sideA {
		switch {
		case c.aLeft:
			return ""
		case c.aJoined.Load() != nil:
			return c.aExt
		}
		return c.caller
	}
	if c.winner != nil {
		return c.winner.ext
	}
	return ""
}

// notifyRefer sends the final sipfrag NOTIFY of a REFER's implicit subscription.
func (m *Manager) notifyRefer(ctx context.Context, d *dialog, frag string) {
	notify := d.newRequest(sip.NOTIFY, m.contactURI(d.transport))
	notify.AppendHeader(sip.NewHeader("Event", "refer"))
	notify.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	notify.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	notify.SetBody([]byte(frag))
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	_, _ = m.forward(ctx, notify)
}

// reinviteDir sends side a re-INVITE offering dir, keeping it on its relay leg.
func (m *Manager) reinviteDir(ctx context.Context, c *call, side int, dir sdp.Direction) error {
	c.mu.Lock()
	d := c.dialogFor(side)
	c.mu.Unlock()
	if d == nil {
		return fmt.Errorf("call %s has no party on side %d: %w", c.id, side, errs.ErrConflict)
	}
	out := d.newRequest(sip.INVITE, m.contactURI(d.transport))
	out.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	out.SetBody(c.legSDP(side, c.codecs, c.dtmf, dir, nil))
	res, err := m.forward(ctx, out)
	if err != nil {
		return fmt.Errorf("re-INVITE: %w: %w", err, errs.ErrUnavailable)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, errs.ErrUnavailable)
	}
	_ = m.write(d.build(sip.ACK, out.CSeq().SeqNo, m.contactURI(d.transport)))
	if ans, err := sdp.Parse(res.Body()); err == nil {
		c.mu.Lock()
		c.setRemote(side, ans)
		c.mu.Unlock()
	}
	return nil
}

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
