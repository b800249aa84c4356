package b2bua

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/pbx/sdp"
)

// Session timers (RFC 4028) on calls out through a carrier that asks for
// them (a trunk's session_expires): the INVITE offers them with the PBX
// as refresher; the carrier's 2xx says the interval and who refreshes.
//
//   - The PBX refreshing: every half interval it sends UPDATE without a
//     body (a re-INVITE with the call's SDP when the carrier does not
//     allow UPDATE, skipped while the call is on hold); a refresh that is
//     refused (481, 408, a 5xx …) or unanswered ends the call,
//     CauseSessionExpired. 491 (a request crossing it) is tried again at
//     the next tick.
//   - The carrier refreshing: if no re-INVITE or UPDATE arrives from
//     either party within the interval, the call ends the same way.
//
// Any in-dialog UPDATE without a body is answered 200 (with the
// Session-Expires it carried), whoever refreshes: a carrier that refreshes
// with UPDATE must not get 501.

// sessionTimerLocked starts the session timer f's 2xx agreed to, if any.
// Called with c.mu held.
func (c *call) sessionTimerLocked(f *fork, res *sip.Response) {
	if f.carrier == nil || f.carrier.SessionExpires <= 0 {
		return
	}
	h := res.GetHeader("Session-Expires")
	if h == nil {
		return // the carrier does not do session timers: none
	}
	secs, refresher := parseSessionExpires(h.Value())
	if secs <= 0 {
		return
	}
	update := false
	if allow := res.GetHeader("Allow"); allow != nil {
		update = strings.Contains(strings.ToUpper(allow.Value()), "UPDATE")
	}
	c.refreshed.Store(c.m.now().UnixNano())
	go c.runSessionTimer(f.dlg, time.Duration(secs)*time.Second, refresher != "uas", update)
}

// parseSessionExpires reads "1800;refresher=uac".
func parseSessionExpires(v string) (secs int, refresher string) {
	parts := strings.Split(v, ";")
	secs, _ = strconv.Atoi(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return secs, refresher
}

func (c *call) runSessionTimer(d *dialog, interval time.Duration, weRefresh, update bool) {
	m := c.m
	period := interval
	if weRefresh {
		period = interval / 2
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		if !weRefresh {
			if m.now().Sub(time.Unix(0, c.refreshed.Load())) > interval {
				m.log.Warn("session timer expired: the carrier did not refresh", "call", c.id)
				c.hangup("system", CauseSessionExpired)
				return
			}
			continue
		}
		code, err := c.refreshSession(d, interval, update)
		switch {
		case err == nil && code < 300, code == 491:
			continue
		}
		m.log.Warn("session refresh failed: call ended", "call", c.id, "code", code, "err", err)
		c.hangup("system", CauseSessionExpired)
		return
	}
}

// refreshSession sends one refresh in d and returns its final code.
func (c *call) refreshSession(d *dialog, interval time.Duration, update bool) (int, error) {
	m := c.m
	ctx, cancel := context.WithTimeout(c.ctx, 32*time.Second)
	defer cancel()
	se := strconv.Itoa(int(interval.Seconds())) + ";refresher=uac"
	if !update {
		c.mu.Lock()
		held := !c.holdSince.IsZero()
		c.mu.Unlock()
		if held {
			return 200, nil // a re-INVITE would take the call off hold; the next tick tries again
		}
		if err := m.reinviteDir(ctx, c, sideB, sdp.SendRecv); err != nil {
			return 0, err
		}
		return 200, nil
	}
	req := d.newRequest(sip.UPDATE, m.dialogContact(d))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	req.AppendHeader(sip.NewHeader("Session-Expires", se))
	res, err := m.forward(ctx, d, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// onUpdate answers an in-dialog UPDATE without a body (a session
// refresh) with 200; an UPDATE with an offer is not supported (501).
func (m *Manager) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to == nil || !to.Params.Has("tag") {
		m.reply(tx, req, 501, "Not Implemented") // an UPDATE outside a dialog is not ours to take
		return
	}
	c, _ := m.callOf(req, tx)
	if c == nil {
		return
	}
	if len(req.Body()) > 0 {
		m.reply(tx, req, 501, "Not Implemented")
		return
	}
	c.refreshed.Store(m.now().UnixNano())
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if h := req.GetHeader("Session-Expires"); h != nil {
		res.AppendHeader(sip.NewHeader("Session-Expires", h.Value()))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	m.decorate(res)
	if err := tx.Respond(res); err != nil {
		m.log.Debug("respond to UPDATE failed", "call", c.id, "err", err)
	}
}
