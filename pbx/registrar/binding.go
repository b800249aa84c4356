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
}

// BindingStore persists bindings so a restart keeps them.
type BindingStore interface {
	LoadBindings(ctx context.Context) ([]Binding, error)
	SaveBindings(ctx context.Context, upsert []Binding, remove []Binding) error
}

type aorKey struct{ tenant, aor string }
