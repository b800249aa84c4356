package guard

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yimen/yimen/internal/errs"
)

// Guard filters SIP traffic before parsing and keeps the ban list.
type Guard struct {
	cfg     Config
	store   BanStore
	log     *slog.Logger
	now     func() time.Time
	scanner uaScanner

	ratePerNs     float64 // tokens per nanosecond
	burst         float64
	floodWindowNs int64
	shardCap      int // peers per shard before new sources share the overflow bucket

	shards   [shardCount]shard
	banCount atomic.Int64 // entries in all shards' ban maps, expired ones included until swept

	ipFails   *failureCounter[netip.Addr]
	acctFails *failureCounter[string]
	pending   persistQueue
	m         metrics
	auditor   atomic.Pointer[auditorRef] // SetBanAuditor
}

// New validates cfg, loads the persisted bans that have not expired and
// registers the metrics. store and reg may be nil; now defaults to time.Now.
func New(ctx context.Context, cfg Config, store BanStore, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*Guard, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	g := &Guard{
		cfg:           cfg,
		store:         store,
		log:           log,
		now:           now,
		scanner:       newUAScanner(cfg.ScannerUserAgents),
		ratePerNs:     cfg.RatePerSec / float64(time.Second),
		burst:         float64(cfg.Burst),
		floodWindowNs: int64(cfg.FloodWindow),
		shardCap:      cfg.MaxTrackedIPs / shardCount,
		ipFails:       newFailureCounter[netip.Addr](cfg.FailureWindow, cfg.MaxTrackedIPs),
		acctFails:     newFailureCounter[string](cfg.FailureWindow, cfg.MaxTrackedIPs),
		pending:       newPersistQueue(),
	}
	g.cfg.AllowCIDRs = make([]netip.Prefix, len(cfg.AllowCIDRs))
	for i, p := range cfg.AllowCIDRs {
		g.cfg.AllowCIDRs[i] = netip.PrefixFrom(p.Addr().Unmap(), unmappedBits(p)).Masked()
	}
	start := now().UnixNano()
	for i := range g.shards {
		g.shards[i].peers = make(map[netip.Addr]*peer)
		g.shards[i].bans = make(map[netip.Addr]Ban)
		g.shards[i].overflow = peer{tokens: g.burst, last: start}
	}
	if err := g.loadBans(ctx); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg, g.activeBans)
	if err != nil {
		return nil, err
	}
	g.m = m
	return g, nil
}

// unmappedBits keeps a ::ffff:a.b.c.d/n allow-list entry meaning the IPv4
// range it was written for, since addresses are compared unmapped.
func unmappedBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return max(p.Bits()-96, 0)
	}
	return p.Bits()
}

func (g *Guard) loadBans(ctx context.Context) error {
	if g.store == nil {
		return nil
	}
	bans, err := g.store.LoadBans(ctx)
	if err != nil {
		return fmt.Errorf("guard: load bans: %w: %w", errs.ErrUnavailable, err)
	}
	now := g.now()
	for _, b := range bans {
		b.IP = sourceKey(b.IP)
		switch {
		case !b.IP.IsValid() || g.allowed(b.IP):
			continue
		case !now.Before(b.Until):
			if err := g.store.DeleteBan(ctx, b.IP); err != nil {
				g.log.LogAttrs(ctx, slog.LevelWarn, "guard: delete expired ban", slog.String("ip", b.IP.String()), slog.Any("error", err))
			}
			continue
		}
		if g.shardFor(b.IP).putBan(b) {
			g.banCount.Add(1)
		}
	}
	return nil
}

// sourceKey is the address the guard counts, limits and bans ip under: the
// address itself for IPv4, its /64 for IPv6, the smallest block one
// subscriber is given (an attacker holding a /64 would otherwise rotate
// through 2^64 addresses, each with a fresh bucket, count and ban).
func sourceKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip
}

// allowed reports whether ip is on the allow-list.
func (g *Guard) allowed(ip netip.Addr) bool {
	for _, p := range g.cfg.AllowCIDRs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
