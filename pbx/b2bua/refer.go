package b2bua

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// onRefer handles a blind transfer from a phone (RFC 3515): either party
// refers the other to another extension. The referrer gets 202, a NOTIFY
// with the outcome of starting the transfer, and then our BYE.
func (m *Manager) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c, side := m.callOf(req, tx)
	if c == nil {
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		m.reply(tx, req, 400, "Missing Refer-To")
		return
	}
	var target sip.Uri
	var params sip.HeaderParams
	if _, err := sip.ParseAddressValue(h.Value(), &target, &params); err != nil || target.User == "" {
		m.reply(tx, req, 400, "Bad Refer-To")
		return
	}
	if r, ok, err := referReplaces(h.Value()); ok || strings.Contains(strings.ToLower(h.Value()), "replaces=") {
		if err != nil || !ok {
			m.log.Info("REFER with a malformed Replaces", "call", c.id, "ip", sourceAddr(req))
			m.reply(tx, req, 400, "Bad Replaces")
			return
		}
		m.onReferReplaces(req, tx, c, side, r)
		return
	}
	c.mu.Lock()
	ext := c.extOf(side)
	_, err := c.transferSideLocked(ext)
	d := c.dialogFor(side)
	c.mu.Unlock()
	if err != nil || d == nil {
		m.log.Info("REFER refused", "call", c.id, "side", sideNames[side], "err", err)
		m.reply(tx, req, 403, "Not Allowed To Transfer This Call")
		return
	}
	m.reply(tx, req, 202, "Accepted")
	// Tell the referrer before the transfer hangs it up.
	sendNotify := func(frag string) { m.notifyRefer(c.ctx, d, frag) }
	if err := m.blindTransfer(c, ext, target.User, func() { sendNotify("SIP/2.0 200 OK") }); err != nil {
		m.log.Info("REFER refused", "call", c.id, "to", target.User, "err", err)
		sendNotify("SIP/2.0 503 Service Unavailable")
	}
}
