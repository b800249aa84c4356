package trunk

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Plan is an outbound call's way out: the route's trunks in order, tried
// one after another while they fail in a way another trunk might not
// (Failover). Take the next Leg with Next; End when the call is over.
type Plan struct {
	m        *Manager
	tt       *tenantTable
	Tenant   string
	Ext      string
	Number   string // the dialled number, normalised
	Class    Class
	Route    string
	callerID string
	trunks   []*Trunk

	mu      sync.Mutex
	next    int
	current *Trunk
	ended   bool
}

// Leg is one attempt through one trunk: what to send the carrier.
type Leg struct {
	Trunk      string
	Host       string // the carrier's address
	Port       int
	Transport  string
	User       string // the Request-URI's user: the number as the carrier wants it
	CallerID   string // the From (and P-Asserted-Identity) user
	Headers    [][2]string
	Strip      []string // header names not to send
	EarlyMedia bool
	Codecs     []string
	Diversion  bool // name the DID in a Diversion header when an inbound call is sent on
	// SessionExpires, when set, asks the carrier for RFC 4028 session timers.
	SessionExpires time.Duration
}

// Outbound plans a call from ext of tenant to dialled. Errors: ErrNotFound
// when no route matches (the caller gets 404), ErrForbidden when ext may
// not call the number's class (toll fraud: logged, counted and audited),
// ErrUnavailable over the tenant's caps. Emergency numbers always route.
func (m *Manager) Outbound(ctx context.Context, tenant, ext, dialled string) (*Plan, error) {
	tt := m.tables[tenant]
	if tt == nil || len(tt.order) == 0 {
		return nil, fmt.Errorf("no trunks for tenant %s: %w", tenant, errs.ErrNotFound)
	}
	num, ok := Normalize(dialled, tt.area)
	if !ok || num == Anonymous {
		return nil, fmt.Errorf("%q is not a number: %w", dialled, errs.ErrNotFound)
	}
	class := Classify(num, tt.area)
	p := &Plan{m: m, tt: tt, Tenant: tenant, Ext: ext, Number: num, Class: class}
	if class == ClassEmergency {
		// Every trunk, the emergency one first, whatever its state or
		// caps say: a 110 call is never refused by the PBX.
		p.Route = "emergency"
		p.trunks = append([]*Trunk{tt.emergency}, tt.order...)
		p.callerID = tt.callerIDFor(ext, nil)
		m.log.Warn("emergency call", "tenant", tenant, "ext", ext, "number", num)
		m.alarm(tenant, "trunk.emergency", "extension/"+ext, "emergency call to "+num)
		return p, nil
	}
	if !tt.allowed(ext, class) {
		m.refused(tenant, ext, string(class)+"_not_allowed", fmt.Sprintf("%s call to %s refused: extension %s may not call %s numbers", class, mask(num), ext, class))
		return nil, fmt.Errorf("extension %s may not call %s numbers: %w", ext, class, errs.ErrForbidden)
	}
	r := tt.match(num)
	if r == nil {
		m.blocked.WithLabelValues(tenant, "no_route").Inc()
		return nil, fmt.Errorf("no outbound route for %s: %w", mask(num), errs.ErrNotFound)
	}
	if ok, cap := m.extCaps.take(tt, ext, m.now()); !ok {
		m.refused(tenant, ext, cap, fmt.Sprintf("call to %s refused: extension %s over %s", mask(num), ext, cap))
		return nil, fmt.Errorf("extension %s over %s: %w", ext, cap, errs.ErrUnavailable)
	}
	if ok, cap := tt.caps.take(m.now()); !ok {
		m.refused(tenant, ext, cap, fmt.Sprintf("call to %s refused: tenant over %s", mask(num), cap))
		return nil, fmt.Errorf("tenant %s over %s: %w", tenant, cap, errs.ErrUnavailable)
	}
	p.Route, p.trunks, p.callerID = r.name, r.trunks, tt.callerIDFor(ext, r)
	return p, nil
}

// refused counts, logs and audits a blocked attempt, and raises the
// fraud alarm when ext keeps being blocked.
func (m *Manager) refused(tenant, ext, reason, detail string) {
	m.blocked.WithLabelValues(tenant, reason).Inc()
	m.log.Warn("trunk call blocked", "tenant", tenant, "ext", ext, "reason", reason)
	m.alarm(tenant, "trunk.blocked", "extension/"+ext, detail)
	if alarm, n := m.extCaps.blocked(tenant, ext, m.now()); alarm {
		m.log.Error("toll fraud suspected", "tenant", tenant, "ext", ext, "blocked", n)
		m.alarm(tenant, "trunk.fraud_suspect", "extension/"+ext, fraudDetail(ext, n))
	}
}

func (m *Manager) alarm(tenant, action, target, detail string) {
	if m.alarms != nil {
		m.alarms.TrunkAlarm(context.Background(), tenant, action, target, detail)
	}
}

// mask keeps a number's last four digits out of logs and the audit
// detail, as a CDR would not be.
func mask(num string) string {
	if len(num) <= 4 {
		return num
	}
	return num[:len(num)-4] + "****"
}

// Next gives the next leg to try, skipping trunks that are down or over
// their caps, or false when none is left (the last cap or state met is
// returned as the reason). The previous leg's trunk place is given back.
func (p *Plan) Next() (Leg, bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseLocked()
	reason := "no_trunk_up"
	emergency := p.Class == ClassEmergency
	for p.next < len(p.trunks) && !p.ended {
		t := p.trunks[p.next]
		p.next++
		if !emergency && !t.Up() {
			continue
		}
		if ok, cap := t.take(p.m.now()); !ok && !emergency {
			reason = cap
			p.m.blocked.WithLabelValues(p.Tenant, cap).Inc()
			p.m.alarm(p.Tenant, "trunk.cap", "trunk/"+t.cfg.Name, "outbound call over "+cap)
			continue
		} else if !ok {
			t.mu.Lock()
			t.active++ // an emergency call is carried over the cap, and counted
			t.mu.Unlock()
		}
		p.current = t
		return p.leg(t), true, ""
	}
	return Leg{}, false, reason
}

func (p *Plan) leg(t *Trunk) Leg {
	l := Leg{Trunk: t.cfg.Name, Host: t.proxy.Addr().String(), Port: int(t.proxy.Port()), Transport: t.transport(),
		User: t.cfg.DialPrefix + t.numFmt.Write(p.Number, t.area), CallerID: t.cidFmt.Write(p.callerID, t.area),
		EarlyMedia: t.cfg.EarlyMediaOn(), Codecs: t.codecs, Strip: t.cfg.StripHeaders, Diversion: t.cfg.Diversion,
		SessionExpires: t.cfg.SessionExpires}
	if l.CallerID == "" {
		l.CallerID = Anonymous
	}
	if t.cfg.PAI {
		l.Headers = append(l.Headers, [2]string{"P-Asserted-Identity", "<sip:" + l.CallerID + "@" + l.Host + ">"})
	}
	if t.cfg.Privacy != "" {
		l.Headers = append(l.Headers, [2]string{"Privacy", t.cfg.Privacy})
	}
	for k, v := range t.cfg.AddHeaders {
		l.Headers = append(l.Headers, [2]string{k, v})
	}
	return l
}

// Failover says whether a trunk's final code lets the call try the next
// trunk: server failures, 408 and timeouts (0), and a carrier's own
// capacity refusals; never a 4xx that is about the number or the callee
// (404, 484, 486, 603 …).
func Failover(code int) bool {
	return code == 0 || code == 408 || code >= 500 && code < 600
}

// Talked counts a finished call's talk time against the extension's
// minutes per day; call it before End.
func (p *Plan) Talked(d time.Duration) {
	if p.Class != ClassEmergency {
		p.m.extCaps.talked(p.Tenant, p.Ext, d, p.m.now())
	}
}

// End gives back the plan's places in the caps; idempotent.
func (p *Plan) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	p.releaseLocked()
	if p.Class != ClassEmergency {
		p.tt.caps.release()
	}
}

func (p *Plan) releaseLocked() {
	if p.current != nil {
		p.current.release()
		p.current = nil
	}
}

// PresentAs makes the plan present number (a campaign's caller ID, asked
// for with the CTI's call.dial) instead of the extension's or route's; it
// is taken only when number is one of the tenant's own DIDs, so a caller
// ID can be chosen but never made up. It reports whether it was taken.
func (p *Plan) PresentAs(number string) bool {
	num, ok := Normalize(number, p.tt.area)
	if !ok || !p.tt.ownDIDs[num] {
		return false
	}
	p.callerID = num
	return true
}
