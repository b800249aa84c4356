package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
)

// sipClient is what trunks need of sipgo's client: requests in client
// transactions (REGISTER, OPTIONS).
type sipClient interface {
	TransactionRequest(ctx context.Context, req *sip.Request, options ...sipgo.ClientRequestOption) (sip.ClientTransaction, error)
}

var _ sipClient = (*sipgo.Client)(nil)

// Alarms records what a NOC must see: toll-fraud blocks and caps that
// tripped, and trunks going down or up (the audit chain, in the wiring).
type Alarms interface {
	TrunkAlarm(ctx context.Context, tenant, action, target, detail string)
}

// Local is the PBX's carrier-facing SIP address: requests to carriers
// leave from it and name it in Via and Contact.
type Local struct {
	Host string
	Port int
	Bind sip.Addr // the UDP socket they leave from (zero: any)
}

// Manager owns every tenant's trunks, DIDs and outbound routes.
type Manager struct {
	log     *slog.Logger
	now     func() time.Time
	local   Local
	ua      string
	tables  map[string]*tenantTable
	dids    map[string]*didRoute
	all     []*Trunk
	alarms  Alarms
	extCaps *extensionCaps
	up      *prometheus.GaugeVec
	blocked *prometheus.CounterVec

	didNow func() time.Time // the clock DIDs' time variants read (ivr.fixed_time pins it)

	mu        sync.Mutex
	listeners []Listener
	client    sipClient
}

// New compiles the trunks of every tenant in cfg; cals are the holiday
// calendars DIDs may name. Errors name the configuration key.
func New(cfg config.Config, cals map[string]*calendar.Calendar, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*Manager, error) {
	tables, dids, bad := compile(cfg, cals)
	if len(bad) > 0 {
		return nil, fmt.Errorf("trunks: %w", errors.Join(bad...))
	}
	if now == nil {
		now = time.Now
	}
	m := &Manager{log: log, now: now, didNow: now, tables: tables, dids: dids, ua: cfg.SIP.UserAgent, extCaps: newExtensionCaps(),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "yimen", Subsystem: "trunk", Name: "up",
			Help: "1 while a trunk is up (registered where it registers, answering OPTIONS), 0 while down."}, []string{"tenant", "trunk"}),
		blocked: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yimen", Subsystem: "trunk", Name: "blocked_total",
			Help: "Outbound trunk calls refused, by reason (class, a cap, no route, no trunk up)."}, []string{"tenant", "reason"}),
	}
	for _, t := range cfg.Tenants {
		m.all = append(m.all, tables[t.Name].order...)
	}
	for _, t := range m.all {
		m.up.WithLabelValues(t.tenant, t.cfg.Name).Set(0)
	}
	if reg != nil {
		reg.MustRegister(m.up, m.blocked)
	}
	return m, nil
}

// PinDIDClock makes DIDs' time variants read clock instead of the real
// time (ivr.fixed_time: demonstrations and tests); caps keep real time.
func (m *Manager) PinDIDClock(clock func() time.Time) { m.didNow = clock }

// Empty reports whether no tenant has a trunk.
func (m *Manager) Empty() bool { return len(m.all) == 0 }

// SetAlarms installs the alarm sink before Run.
func (m *Manager) SetAlarms(a Alarms) { m.alarms = a }

// OnChange adds a listener to trunk state changes.
func (m *Manager) OnChange(l Listener) {
	m.mu.Lock()
	m.listeners = append(m.listeners, l)
	m.mu.Unlock()
}

// Sources lists every address trunks accept calls from: the guard lets
// only these through the carrier-facing listener.
func (m *Manager) Sources() []netip.Prefix {
	var out []netip.Prefix
	for _, t := range m.all {
		out = append(out, t.sources...)
	}
	return out
}

// FromCarrier reports whether ip belongs to some trunk's carrier.
func (m *Manager) FromCarrier(ip netip.Addr) bool { return m.trunkFrom(ip) != nil }

func (m *Manager) trunkFrom(ip netip.Addr) *Trunk {
	for _, t := range m.all {
		if t.from(ip) {
			return t
		}
	}
	return nil
}

// Statuses lists every trunk of tenant (all tenants when empty) with its live state.
func (m *Manager) Statuses(tenant string) []Status {
	out := []Status{}
	for _, t := range m.all {
		if tenant == "" || t.tenant == tenant {
			out = append(out, t.status())
		}
	}
	return out
}

// Run keeps every trunk registered and probed until ctx ends, sending
// through client from local.
func (m *Manager) Run(ctx context.Context, client sipClient, local Local) {
	m.mu.Lock()
	m.client, m.local = client, local
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, t := range m.all {
		if t.cfg.Auth == "register" {
			wg.Add(1)
			go func() { defer wg.Done(); m.keepRegistered(ctx, t) }()
		}
		wg.Add(1)
		go func() { defer wg.Done(); m.keepAlive(ctx, t) }()
	}
	<-ctx.Done()
	wg.Wait()
	// Registrations are left to expire: unregistering on the way out
	// would only race the drain's last BYEs to a busy carrier.
}

// changed publishes a state change: gauge, log, listeners, audit.
func (m *Manager) changed(c Change) {
	v := 0.0
	if c.State == StateUp {
		v = 1
	}
	m.up.WithLabelValues(c.Tenant, c.Trunk).Set(v)
	m.log.Info("trunk state", "tenant", c.Tenant, "trunk", c.Trunk, "state", string(c.State), "reason", c.Reason)
	m.mu.Lock()
	ls := slices.Clone(m.listeners)
	m.mu.Unlock()
	for _, l := range ls {
		l(c)
	}
	if m.alarms != nil {
		m.alarms.TrunkAlarm(context.Background(), c.Tenant, "trunk."+string(c.State), "trunk/"+c.Trunk, c.Reason)
	}
}

// settle re-evaluates t after the carrier said something.
func (m *Manager) settle(t *Trunk, reason string) {
	t.mu.Lock()
	c, ok := t.settleLocked(m.now(), reason)
	t.mu.Unlock()
	if ok {
		m.changed(c)
	}
}
