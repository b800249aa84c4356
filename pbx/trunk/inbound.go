package trunk

import (
	"fmt"
	"net/netip"

	"github.com/yimen/yimen/internal/errs"
)

// Inbound is a call from a carrier, resolved: where it goes and who calls.
type Inbound struct {
	Trunk     string // the trunk it came in on
	Tenant    string // the tenant it goes to (a DID may point at another tenant's number)
	Number    string // the tenant's number the call goes to
	DID       string // the DID dialled, normalised
	Caller    string // the caller, normalised (Anonymous when withheld)
	RawCaller string // the caller as the carrier sent it
	release   func()
}

// Release gives back the call's place in the trunk's caps; call it once
// when the call ends (a nil Inbound's is a no-op).
func (in *Inbound) Release() {
	if in != nil && in.release != nil {
		in.release()
		in.release = nil
	}
}

// Inbound resolves an INVITE that came from src from caller. The DID is
// the Request-URI's user, or, when that is none of the tenant's DIDs, the
// To header's (a register trunk's carrier sends INVITEs to the registered
// Contact, the DID in To). ok is false when src is no trunk's carrier (the
// call is not a trunk's); an error means a carrier's call that cannot be
// taken: ErrNotFound for a number that is no DID of the trunk's tenant,
// ErrUnavailable over the trunk's caps.
func (m *Manager) Inbound(src netip.Addr, ruri, to, caller string) (in *Inbound, ok bool, err error) {
	t := m.trunkFrom(src)
	if t == nil {
		return nil, false, nil
	}
	var d *didRoute
	var num string
	for _, cand := range []string{ruri, to} {
		num, _ = Normalize(cand, t.area)
		if d = m.dids[num]; d != nil && d.tenant == t.tenant {
			break
		}
		d = nil
	}
	if d == nil {
		return nil, true, fmt.Errorf("trunk %s/%s: %s is not a DID of the tenant: %w", t.tenant, t.cfg.Name, mask(ruri), errs.ErrNotFound)
	}
	if ok, cap := t.take(m.now()); !ok {
		m.blocked.WithLabelValues(t.tenant, cap).Inc()
		m.alarm(t.tenant, "trunk.cap", "trunk/"+t.cfg.Name, "inbound call over "+cap)
		return nil, true, fmt.Errorf("trunk %s/%s: over %s: %w", t.tenant, t.cfg.Name, cap, errs.ErrUnavailable)
	}
	norm, valid := Normalize(caller, t.area)
	if !valid {
		m.log.Warn("malformed caller number from carrier", "tenant", t.tenant, "trunk", t.cfg.Name, "len", len(caller))
	}
	dest := d.targetAt(m.didNow())
	return &Inbound{Trunk: t.cfg.Name, Tenant: dest.tenant, Number: dest.number, DID: num, Caller: norm, RawCaller: caller, release: t.release}, true, nil
}
