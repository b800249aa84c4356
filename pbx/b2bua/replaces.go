package b2bua

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
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
	notify := d.newRequest(sip.NOTIFY, m.dialogContact(d))
	notify.AppendHeader(sip.NewHeader("Event", "refer"))
	notify.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	notify.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	notify.SetBody([]byte(frag))
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	_, _ = m.forward(ctx, d, notify)
}
