package registrar

import (
	"context"
	"net/netip"
	"time"
)

// Binding is one registered contact of an extension (address of record).
type Binding struct {
	Tenant    string
	AOR       string // the extension, e.g. "1001"
	Contact   string // the Contact URI as the device sent it
	Received  netip.AddrPort
	Transport string // UDP, TCP, TLS, WS, WSS
	CallID    string
	CSeq      uint32
	Expires   time.Time
	UserAgent string
	Updated   time.Time

	// stored is the expiry the store holds for this binding (zero: not yet
	// written); see unwritten.
	stored time.Time
}

// refreshSlack bounds how far a binding's expiry may run ahead of what the
// store holds before a refresh is written: a tenth of its lifetime, at most
// a minute. A refresh that keeps the source address, transport and
// User-Agent, changing only the expiry, Call-ID, CSeq and time, stays in
// memory within that (Call-ID and CSeq only order REGISTERs, and a phone
// that restarted, or SIPp, sends a new Call-ID each time). The store gets
// it with the binding's next other change, its first refresh past the
// slack, or the flush at a graceful stop. After a crash a restored binding
// can therefore expire up to that much early, which matters only to a phone
// refreshing at the very end of its interval; in exchange a phone that
// re-registers every few seconds (or a load test) costs one row a minute
// instead of one per REGISTER.
func refreshSlack(lifetime time.Duration) time.Duration {
	return min(lifetime/10, time.Minute)
}

// unwritten reports whether the refresh b of old may stay out of the store
// (see refreshSlack); lifetime is b's.
func unwritten(old, b Binding, lifetime time.Duration) bool {
	return !old.stored.IsZero() && old.Received == b.Received && old.Transport == b.Transport &&
		old.UserAgent == b.UserAgent && b.Expires.Sub(old.stored) < refreshSlack(lifetime)
}

// BindingStore persists bindings so a restart keeps them.
type BindingStore interface {
	LoadBindings(ctx context.Context) ([]Binding, error)
	SaveBindings(ctx context.Context, upsert []Binding, remove []Binding) error
}

type aorKey struct{ tenant, aor string }
