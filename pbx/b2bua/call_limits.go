package b2bua

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/fieldcrypt"
)

// Limits caps the calls one account, one tenant and one source address may
// hold at once, so that none of them can take the whole relay pool: every
// admitted call holds a bridge (two RTP+RTCP port pairs) until it ends.
// Zero means no cap. A call is counted from its admission, before its
// bridge is taken, to its end.
type Limits struct {
	PerExtension int // calls an authenticated extension may place and hold
	PerTenant    int // calls the extensions of one tenant may place and hold
	PerSource    int // calls placed from one source address (a NAT hides several phones)
	// Bridges is the relay pool's size in calls and Reserve the part of
	// it no one tenant may take: a tenant's calls to extensions stop at
	// Bridges−Reserve, so other tenants and the calls answered by the
	// PBX's applications (IVR flows, queues, voicemail) still find ports.
	Bridges, Reserve int
}

// refusal is why a call was not admitted; refusalNone admits it.
type refusal uint8

const (
	refusalNone refusal = iota
	refusalExtension
	refusalSource
	refusalTenant
	refusalPool
)

// String is the reason label of yimen_call_refusals_total.
func (r refusal) String() string {
	switch r {
	case refusalExtension:
		return "extension"
	case refusalSource:
		return "source"
	case refusalTenant:
		return "tenant"
	case refusalPool:
		return "pool_reserve"
	}
	return "none"
}

// response is the SIP answer to a refused call. An extension or an address
// over its own cap is busy: its own calls end the condition, and a phone
// shows "busy" rather than retrying elsewhere. A tenant over its cap or
// its share of the pool is a capacity matter of the PBX: 503 with
// Retry-After, as for exhausted media ports.
func (r refusal) response() (code int, reason, warning string) {
	switch r {
	case refusalExtension:
		return 486, "Busy Here", "call limit of this extension reached"
	case refusalSource:
		return 486, "Busy Here", "call limit of this address reached"
	case refusalTenant:
		return 503, "Service Unavailable", "call limit of this tenant reached"
	default:
		return 503, "Service Unavailable", "media ports reserved"
	}
}

// limitRetryAfter is the Retry-After (seconds) of a 503 refusal.
const limitRetryAfter = "30"

// admission counts the calls in progress per extension, tenant and source.
type admission struct {
	lim Limits

	mu     sync.Mutex
	ext    map[extKey]int
	tenant map[string]int
	source map[netip.Addr]int
}

type extKey struct{ tenant, ext string }

// slot is one admitted call's place in the counts, given back at its end.
type slot struct {
	tenant, ext string
	src         netip.Addr
}

func newAdmission(lim Limits) *admission {
	return &admission{lim: lim, ext: map[extKey]int{}, tenant: map[string]int{}, source: map[netip.Addr]int{}}
}

// admit counts a call of ext in tenant from src unless a cap is reached;
// app says the call is answered by an application, which may use the
// reserve.
func (a *admission) admit(tenant, ext string, src netip.Addr, app bool) (*slot, refusal) {
	k := extKey{tenant, ext}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.lim.PerExtension > 0 && ext != "" && a.ext[k] >= a.lim.PerExtension:
		return nil, refusalExtension
	case a.lim.PerSource > 0 && src.IsValid() && a.source[src] >= a.lim.PerSource:
		return nil, refusalSource
	case a.lim.PerTenant > 0 && a.tenant[tenant] >= a.lim.PerTenant:
		return nil, refusalTenant
	case !app && a.lim.Reserve > 0 && a.tenant[tenant] >= a.lim.Bridges-a.lim.Reserve:
		return nil, refusalPool
	}
	a.ext[k]++
	a.tenant[tenant]++
	if src.IsValid() {
		a.source[src]++
	}
	return &slot{tenant: tenant, ext: ext, src: src}, refusalNone
}

// release gives a call's place back; a nil slot (a call never admitted
// here) is a no-op.
func (a *admission) release(s *slot) {
	if s == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	decr(a.ext, extKey{s.tenant, s.ext})
	decr(a.tenant, s.tenant)
	if s.src.IsValid() {
		decr(a.source, s.src)
	}
}

// decr lowers a count, dropping keys at zero so the maps hold only
// accounts, tenants and addresses with calls up.
func decr[K comparable](m map[K]int, k K) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// refuseCall answers a call over a limit (refusal.response), counts it by
// reason and logs it once, the numbers masked.
func (m *Manager) refuseCall(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, tenant, caller, callee string, start time.Time, why refusal) {
	code, reason, warning := why.response()
	m.noteRefusal(why, tenant, caller, callee, sourceAddr(req))
	var extra []sip.Header
	disp := DispositionRejected
	if code == 503 {
		extra = append(extra, sip.NewHeader("Retry-After", limitRetryAfter))
		disp = DispositionFailed
	}
	m.rejectCall(ctx, req, tx, tenant, caller, callee, start, code, reason, disp, warning, extra...)
}

// noteRefusal counts a refused call by reason and logs it, once, with the
// numbers masked.
func (m *Manager) noteRefusal(why refusal, tenant, caller, callee, ip string) {
	m.m.refused.WithLabelValues(why.String()).Inc()
	m.log.Warn("call refused: call limit reached", "limit", why.String(), "tenant", tenant,
		"ext", fieldcrypt.Mask(caller), "callee", fieldcrypt.Mask(callee), "ip", ip)
}
