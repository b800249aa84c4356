package guard

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Config tunes the guard; start from DefaultConfig and override.
type Config struct {
	// RatePerSec and Burst size the per-IP token bucket. One token is one UDP
	// datagram, one TCP read or one accepted TCP connection.
	RatePerSec float64
	Burst      int
	// MaxMessageBytes drops larger UDP datagrams before they are parsed.
	MaxMessageBytes int
	// AuthFailuresPerIP and AuthFailuresPerAccount failed digests within
	// FailureWindow ban the source IP that failed.
	AuthFailuresPerIP      int
	AuthFailuresPerAccount int
	FailureWindow          time.Duration
	// BanDuration is how long automatic bans last, and manual ones given no duration.
	BanDuration time.Duration
	// FloodBan bans an IP once FloodDrops of its messages were rate-limited
	// within FloodWindow, like Kamailio's pike.
	FloodBan    bool
	FloodDrops  int
	FloodWindow time.Duration
	// AllowCIDRs are trusted peers (trunks, the office): never rate-limited,
	// never scanner-checked, never banned. Their auth failures are still logged.
	AllowCIDRs []netip.Prefix
	// ScannerUserAgents are case-insensitive substrings of scanner User-Agents.
	ScannerUserAgents []string
	// MaxTrackedIPs caps the per-IP rate state, the failure counters and the
	// automatic bans, so a spoofed-source flood cannot grow memory without bound.
	MaxTrackedIPs int
	// SweepInterval is how often Run expires bans and evicts idle state.
	SweepInterval time.Duration
}

// DefaultConfig returns settings for a hotline PBX serving offices behind NAT.
func DefaultConfig() Config {
	return Config{
		// An office of 200 phones behind one NAT address stays well under this;
		// a single flooder does not. Trunks belong in AllowCIDRs.
		RatePerSec:             100,
		Burst:                  200,
		MaxMessageBytes:        16 << 10,
		AuthFailuresPerIP:      10,
		AuthFailuresPerAccount: 5,
		FailureWindow:          10 * time.Minute,
		BanDuration:            time.Hour,
		FloodBan:               true,
		FloodDrops:             200,
		FloodWindow:            10 * time.Second,
		ScannerUserAgents: []string{
			"friendly-scanner", "sipcli", "VaxSIPUserAgent", "sipvicious",
			"sundayddr", "iWar", "sipsak", "pplsip",
		},
		MaxTrackedIPs: 100_000,
		SweepInterval: 10 * time.Second,
	}
}

// validate names the first bad key.
func (c Config) validate() error {
	bad := func(key, why string) error {
		return fmt.Errorf("guard config: %s %s: %w", key, why, errs.ErrInvalid)
	}
	switch {
	case !(c.RatePerSec > 0):
		return bad("RatePerSec", "must be > 0")
	case c.Burst < 1:
		return bad("Burst", "must be >= 1")
	case c.MaxMessageBytes < 512 || c.MaxMessageBytes > 65535:
		return bad("MaxMessageBytes", "must be within 512..65535")
	case c.AuthFailuresPerIP < 1:
		return bad("AuthFailuresPerIP", "must be >= 1")
	case c.AuthFailuresPerAccount < 1:
		return bad("AuthFailuresPerAccount", "must be >= 1")
	case c.FailureWindow <= 0:
		return bad("FailureWindow", "must be > 0")
	case c.BanDuration <= 0:
		return bad("BanDuration", "must be > 0")
	case c.FloodBan && c.FloodDrops < 1:
		return bad("FloodDrops", "must be >= 1 when FloodBan is set")
	case c.FloodBan && c.FloodWindow <= 0:
		return bad("FloodWindow", "must be > 0 when FloodBan is set")
	case c.MaxTrackedIPs < shardCount:
		return bad("MaxTrackedIPs", fmt.Sprintf("must be >= %d", shardCount))
	case c.SweepInterval <= 0:
		return bad("SweepInterval", "must be > 0")
	}
	for i, p := range c.AllowCIDRs {
		if !p.IsValid() {
			return bad(fmt.Sprintf("AllowCIDRs[%d]", i), "is not a valid prefix")
		}
	}
	for i, s := range c.ScannerUserAgents {
		if s == "" {
			return bad(fmt.Sprintf("ScannerUserAgents[%d]", i), "is empty")
		}
	}
	return nil
}
