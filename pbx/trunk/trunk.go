package trunk

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/config"
)

// Trunk is one carrier trunk of a tenant, with its live state.
type Trunk struct {
	tenant   string
	cfg      config.Trunk
	area     string // the trunk's area code, else its tenant's
	proxy    netip.AddrPort
	sources  []netip.Prefix
	numFmt   Format
	cidFmt   Format
	codecs   []string
	interval time.Duration
	downN    int

	mu         sync.Mutex
	state      State
	since      time.Time
	reason     string
	registered bool
	regExpiry  time.Time
	optionsOK  bool
	misses     int
	active     int
	second     *rateWindow
}

// newTrunk checks a trunk's configuration and builds it, down until its
// carrier answers.
func newTrunk(tenant string, c config.Trunk, codecs []string, tenantArea string) (*Trunk, error) {
	t := &Trunk{tenant: tenant, cfg: c, area: c.AreaCode, codecs: c.Codecs, interval: c.OptionsInterval, downN: c.DownAfter,
		state: StateDown, reason: "starting", second: newRateWindow(time.Second, 10)}
	if t.area == "" {
		t.area = tenantArea
	}
	if len(t.codecs) == 0 {
		t.codecs = codecs
	}
	if t.interval == 0 {
		t.interval = 30 * time.Second
	}
	if t.downN == 0 {
		t.downN = 2
	}
	var err error
	if t.numFmt, err = ParseFormat(c.NumberFormat); err != nil {
		return nil, err
	}
	if t.cidFmt, err = ParseFormat(c.CallerIDFormat); err != nil {
		return nil, err
	}
	if t.proxy, err = resolveProxy(c.Proxy); err != nil {
		return nil, err
	}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("password_file: %w", err)
		}
		t.cfg.Password = strings.TrimSpace(string(b))
	}
	t.sources = append(c.AddressPrefixes(), netip.PrefixFrom(t.proxy.Addr(), t.proxy.Addr().BitLen()))
	return t, nil
}

// Name is the trunk's name within its tenant.
func (t *Trunk) Name() string { return t.cfg.Name }

// Tenant owns the trunk.
func (t *Trunk) Tenant() string { return t.tenant }

// from reports whether a packet from ip is the carrier's.
func (t *Trunk) from(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t.sources {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Up reports whether routing may use the trunk.
func (t *Trunk) Up() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state == StateUp
}

// take admits a call on the trunk, or names the cap it would break.
func (t *Trunk) take(now time.Time) (bool, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.MaxCalls > 0 && t.active >= t.cfg.MaxCalls {
		return false, "trunk_calls"
	}
	if t.cfg.MaxCallsPerSecond > 0 && float64(t.second.count(now)) >= t.cfg.MaxCallsPerSecond {
		return false, "trunk_calls_per_second"
	}
	t.second.add(now)
	t.active++
	return true, ""
}

func (t *Trunk) release() {
	t.mu.Lock()
	if t.active > 0 {
		t.active--
	}
	t.mu.Unlock()
}
