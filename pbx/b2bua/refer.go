package b2bua

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// onRefer handles a blind transfer from a phone (RFC 3515): the called party
// refers the caller to another extension. The referrer gets 202, a NOTIFY
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
	if target.Headers.Has("Replaces") || strings.Contains(strings.ToLower(h.Value()), "replaces=") {
		m.reply(tx, req, 501, "Attended Transfer Not Implemented")
		return
	}
	c.mu.Lock()
	ext := ""
	if side == sideB && c.winner != nil {
		ext = c.winner.ext
	}
	d := c.dialogFor(side)
	c.mu.Unlock()
	if ext == "" || d == nil {
		m.reply(tx, req, 403, "Only The Called Party Can Transfer")
		return
	}
	m.reply(tx, req, 202, "Accepted")
	// Tell the referrer before the transfer hangs it up.
	sendNotify := func(frag string) {
		notify := d.newRequest(sip.NOTIFY, m.contactURI(d.transport))
		notify.AppendHeader(sip.NewHeader("Event", "refer"))
		notify.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
		notify.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
		notify.SetBody([]byte(frag))
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		_, _ = m.forward(ctx, notify)
	}
	if err := m.blindTransfer(c, ext, target.User, func() { sendNotify("SIP/2.0 200 OK") }); err != nil {
		m.log.Info("REFER refused", "call", c.id, "to", target.User, "err", err)
		sendNotify("SIP/2.0 503 Service Unavailable")
	}
}
