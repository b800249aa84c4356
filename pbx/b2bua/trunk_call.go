package b2bua

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/sdp"
	"github.com/yimen/yimen/pbx/trunk"
)

// Trunk calls: a call from a carrier comes in on a DID and is routed as if
// the tenant's own number had been dialled; a call to a number that is no
// extension or application of the tenant leaves through the tenant's
// trunks (package trunk plans both).
//
// What holds, under c.mu:
//   - c.plan is set when side B is (or is being) a carrier; its trunks are
//     tried one at a time, the next only when the current one failed with
//     a code trunk.Failover accepts (5xx, 408, no answer at all) — a 404
//     or 486 is the callee's answer and reaches the caller as it is.
//   - c.carrierIn is set for a call that came in from a carrier; its
//     place in the trunk's caps is given back when the call ends, as is
//     the plan's.

// Trunks routes calls to and from carriers.
type Trunks interface {
	Inbound(src netip.Addr, ruri, to, caller string) (in *trunk.Inbound, ok bool, err error)
	Outbound(ctx context.Context, tenant, ext, number string) (*trunk.Plan, error)
}

// TrunkLocal is the carrier-facing SIP address trunk legs leave from and
// name in Via and Contact.
type TrunkLocal struct {
	Host string
	Port int
	Bind sip.Addr // zero: the main UDP listener
}

// SetTrunks installs the trunk router before the PBX serves.
func (m *Manager) SetTrunks(t Trunks, local TrunkLocal) {
	m.trunks, m.trunkLocal = t, local
}

// carrierInvite routes an INVITE that came from a carrier. It reports
// false when the source is no carrier's (the INVITE is then an
// extension's, to authenticate as usual).
func (m *Manager) carrierInvite(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) bool {
	if m.trunks == nil {
		return false
	}
	caller, to := "", ""
	if f := req.From(); f != nil {
		caller = f.Address.User
	}
	if h := req.To(); h != nil {
		to = h.Address.User
	}
	in, ok, err := m.trunks.Inbound(sourceIP(req), req.Recipient.User, to, caller)
	if !ok {
		return false
	}
	start := m.now()
	if err != nil {
		code, reason, disp := 503, "Service Unavailable", DispositionFailed
		if errors.Is(err, errs.ErrNotFound) {
			code, reason, disp = 404, "Not Found", DispositionNotFound
		}
		m.log.Info("carrier call refused", "ip", sourceAddr(req), "code", code, "err", err)
		m.rejectCall(ctx, req, tx, "", "", req.Recipient.User, start, code, reason, disp, "")
		return true
	}
	m.route(ctx, req, tx, inviteFrom{tenant: in.Tenant, caller: in.Caller, callee: in.Number, start: start, carrier: in})
	return true
}

// outboundPlan asks the trunks for a way out to callee; ok false with no
// plan when the number is not one trunks take (the caller gets 404).
func (m *Manager) outboundPlan(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, from inviteFrom) (*trunk.Plan, bool) {
	if m.trunks == nil {
		return nil, false
	}
	plan, err := m.trunks.Outbound(ctx, from.tenant, from.caller, from.callee)
	switch {
	case err == nil:
		return plan, true
	case errors.Is(err, errs.ErrForbidden):
		m.rejectCall(ctx, req, tx, from.tenant, from.caller, from.callee, from.start, 403, "Forbidden", DispositionRejected, "calling class not allowed")
		return nil, true
	case errors.Is(err, errs.ErrUnavailable):
		m.rejectCall(ctx, req, tx, from.tenant, from.caller, from.callee, from.start, 503, "Service Unavailable", DispositionFailed, "trunk call limit",
			sip.NewHeader("Retry-After", "30"))
		return nil, true
	}
	return nil, false
}

// ringPlan plans a ring out through trunks for a call the PBX placed or
// an application holds (click-to-dial, callbacks, an IVR's transfer to an
// outside number); with no plan, code is what the ring ends with.
func (m *Manager) ringPlan(ctx context.Context, c *call, number string) (*trunk.Plan, int) {
	if m.trunks == nil {
		return nil, 404
	}
	plan, err := m.trunks.Outbound(ctx, c.tenant, c.caller, number)
	switch {
	case err == nil:
		if c.origin && c.display != "" && !plan.PresentAs(c.display) {
			m.log.Warn("caller id asked for is not one of the tenant's numbers; the extension's is presented", "call", c.id, "tenant", c.tenant)
		}
		return plan, 0
	case errors.Is(err, errs.ErrForbidden):
		return nil, 403
	case errors.Is(err, errs.ErrUnavailable):
		return nil, 503
	}
	return nil, 404
}

// nextTrunkLocked starts the plan's next leg; false when no trunk is left.
// Called with c.mu held.
func (c *call) nextTrunkLocked() bool {
	for {
		leg, ok, reason := c.plan.Next()
		if !ok {
			c.m.log.Info("no trunk left for the call", "call", c.id, "reason", reason)
			return false
		}
		if c.startCarrierFork(leg) {
			return true
		}
	}
}

// startCarrierFork sends the INVITE through one trunk. Called with c.mu held.
func (c *call) startCarrierFork(leg trunk.Leg) bool {
	m := c.m
	host, port := m.trunkLocal.Host, m.trunkLocal.Port
	if host == "" {
		host, port = m.cfg.Host, m.cfg.Port
	}
	callee := sip.Uri{Scheme: "sip", User: leg.User, Host: leg.Host, Port: leg.Port}
	d := &dialog{
		callID: randomHex(16) + "@" + host, local: textOf(sip.Uri{Scheme: "sip", User: leg.CallerID, Host: host}),
		localTag: newTag(), remote: textOf(callee), dest: net.JoinHostPort(leg.Host, itoa(leg.Port)),
		transport: leg.Transport, via: &sip.Addr{IP: net.ParseIP(host), Port: port},
	}
	d.target = d.remote
	m.carrierSide(d)
	req := d.newRequest(sip.INVITE, m.dialogContact(d))
	send := func(name, value string) {
		if !slices.ContainsFunc(leg.Strip, func(s string) bool { return strings.EqualFold(s, name) }) {
			req.AppendHeader(sip.NewHeader(name, value))
		}
	}
	for _, h := range leg.Headers {
		send(h[0], h[1])
	}
	if leg.Diversion && c.carrierIn != nil {
		send("Diversion", "<sip:"+c.carrierIn.DID+"@"+host+">;reason=unconditional")
	}
	if m.cfg.UserAgent != "" {
		send("User-Agent", m.cfg.UserAgent)
	}
	if leg.SessionExpires > 0 {
		req.AppendHeader(sip.NewHeader("Supported", "timer"))
		req.AppendHeader(sip.NewHeader("Session-Expires", itoa(int(leg.SessionExpires.Seconds()))+";refresher=uac"))
		req.AppendHeader(sip.NewHeader("Min-SE", "90"))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	dir := sdp.SendRecv
	if c.offerDir != "" {
		dir = c.offerDir
	}
	codecs := c.codecs
	if len(leg.Codecs) > 0 {
		codecs = slices.DeleteFunc(slices.Clone(codecs), func(cd sdp.Codec) bool { return !slices.Contains(leg.Codecs, cd.Name) })
		if len(codecs) == 0 {
			m.log.Warn("trunk shares no codec with the call", "call", c.id, "trunk", leg.Trunk)
			return false
		}
	}
	req.SetBody(c.legSDP(sideB, codecs, c.dtmf, dir, nil))
	f := &fork{target: Target{URI: callee, Transport: leg.Transport}, dlg: d, invite: req, seq: req.CSeq().SeqNo, ext: leg.User, carrier: &leg}
	tx, err := m.send(c.ctx, d, req)
	if err != nil {
		m.log.Warn("trunk INVITE failed", "call", c.id, "trunk", leg.Trunk, "err", err)
		return false
	}
	m.log.Info("call out through trunk", "call", c.id, "tenant", c.tenant, "trunk", leg.Trunk, "route", c.plan.Route, "class", string(c.plan.Class))
	c.forks = append(c.forks, f)
	m.alias(c, d.callID)
	go c.readFork(f, tx)
	return true
}

// failoverLocked moves a carrier call to its next trunk after its current
// one failed in a way another might not; true when a new leg rings.
// Called with c.mu held.
func (c *call) failoverLocked() bool {
	if c.plan == nil || len(c.forks) == 0 {
		return false
	}
	last := c.forks[len(c.forks)-1]
	if last.carrier == nil || last.final < 300 || !trunk.Failover(last.final) {
		return false
	}
	if c.state != stateRinging && c.transfer == nil {
		return false
	}
	c.m.log.Info("trunk failed, trying the next", "call", c.id, "trunk", last.carrier.Trunk, "code", last.final)
	return c.nextTrunkLocked()
}

// carrierFailure is what the caller hears when every trunk failed: the
// last carrier's answer, server failures as 503.
func carrierFailure(code int) (int, string, Disposition) {
	switch {
	case code == 486 || code == 600:
		return 486, "Busy Here", DispositionBusy
	case code == 404 || code == 484 || code == 604:
		return 404, "Not Found", DispositionNotFound
	case code == 603:
		return 603, "Decline", DispositionRejected
	case code == 408 || code == 0:
		return 408, "Request Timeout", DispositionNoAnswer
	case code == 480:
		return 480, "Temporarily Unavailable", DispositionUnavailable
	case code >= 400 && code < 500:
		return code, "Request Failed", DispositionFailed
	}
	return 503, "Service Unavailable", DispositionFailed
}

// trunkOfLocked names the trunk a call came in on or last went out
// through, and the caller's number as a carrier sent it, for the CDR.
// Called with c.mu held.
func (c *call) trunkOfLocked() (name, rawCaller string) {
	if c.carrierIn != nil {
		return c.carrierIn.Trunk, c.carrierIn.RawCaller
	}
	for i := len(c.forks) - 1; i >= 0; i-- {
		if f := c.forks[i]; f.carrier != nil && (c.winner == nil || c.winner == f) {
			return f.carrier.Trunk, ""
		}
	}
	return "", ""
}

// endTrunks gives back the call's places in the trunks' caps.
func (c *call) endTrunks() {
	c.mu.Lock()
	plan, answered := c.plan, c.answered
	c.mu.Unlock()
	if plan != nil {
		if !answered.IsZero() {
			plan.Talked(c.m.now().Sub(answered))
		}
		plan.End()
	}
	c.carrierIn.Release()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// dialogContact is our Contact in d: the carrier-facing address in a
// carrier's dialog, our SIP listener's otherwise.
func (m *Manager) dialogContact(d *dialog) sip.Uri {
	if d.via != nil {
		return sip.Uri{Scheme: "sip", User: "b2bua", Host: d.via.IP.String(), Port: d.via.Port}
	}
	return m.contactURI(d.transport)
}

// carrierSide makes d, a dialog with a carrier, leave from and name the
// carrier-facing listener.
func (m *Manager) carrierSide(d *dialog) {
	if m.trunkLocal.Host == "" {
		return
	}
	d.via = &sip.Addr{IP: net.ParseIP(m.trunkLocal.Host), Port: m.trunkLocal.Port}
	if m.trunkLocal.Bind.IP != nil && strings.EqualFold(d.transport, "udp") {
		d.laddr = &m.trunkLocal.Bind
	}
}
