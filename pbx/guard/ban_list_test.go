package guard

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yimen/yimen/internal/errs"
)

func TestBansSurviveARestartThroughTheStore(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	active := Ban{IP: netip.MustParseAddr("203.0.113.1"), Reason: "flood", Created: now.Add(-time.Minute), Until: now.Add(time.Hour)}
	expired := Ban{IP: netip.MustParseAddr("203.0.113.2"), Reason: "flood", Created: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)}
	trusted := Ban{IP: netip.MustParseAddr("127.0.0.9"), Reason: "old", Created: now, Until: now.Add(time.Hour)}
	store := newFakeStore(active, expired, trusted)

	h := newHarness(t, store, nil)
	if !h.g.Banned(active.IP) {
		t.Error("persisted ban not loaded")
	}
	if h.g.Banned(expired.IP) || h.g.Banned(trusted.IP) {
		t.Error("expired or allow-listed ban loaded")
	}
	if _, ok := store.get(expired.IP); ok {
		t.Error("expired ban left in the store")
	}

	ctx := context.Background()
	manual := netip.MustParseAddr("2001:db8::1")
	if err := h.g.Ban(ctx, manual, "abuse desk", 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	// An IPv6 ban covers the address's /64: a subscriber's whole block.
	manualNet := netip.MustParseAddr("2001:db8::")
	if b, ok := store.get(manualNet); !ok || b.Reason != "abuse desk" || !b.Until.Equal(h.clock.Now().Add(30*time.Minute)) {
		t.Errorf("manual ban stored as %+v, %v", b, ok)
	}
	if !h.g.Banned(netip.MustParseAddr("2001:db8::beef:1")) || h.g.Banned(netip.MustParseAddr("2001:db8:0:1::1")) {
		t.Error("an IPv6 ban does not cover exactly its /64")
	}
	auto := netip.MustParseAddr("198.51.100.77")
	for range DefaultConfig().AuthFailuresPerIP {
		h.g.AuthFailure(ctx, auto, "1001")
	}
	if err := h.g.Lift(ctx, active.IP); err != nil {
		t.Fatal(err)
	}
	if _, ok := store.get(active.IP); ok {
		t.Error("lifted ban still stored")
	}

	// Run saves queued automatic bans at the latest when it stops.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.g.Run(runCtx); close(done) }()
	cancel()
	<-done

	cfg := DefaultConfig()
	cfg.AllowCIDRs = h.g.cfg.AllowCIDRs
	again, err := New(ctx, cfg, store, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), h.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	got := again.Bans()
	if len(got) != 2 || got[0].IP != auto || got[1].IP != manualNet {
		t.Fatalf("after restart bans = %+v, want the automatic and the manual one", got)
	}
	if got[1].Reason != "abuse desk" || !got[1].Created.Equal(h.clock.Now()) {
		t.Errorf("manual ban came back as %+v", got[1])
	}
}

func TestBanIsRefusedWhenItCannotBeSaved(t *testing.T) {
	store := newFakeStore()
	h := newHarness(t, store, nil)
	store.setFail(errStoreDown)
	ip := netip.MustParseAddr("203.0.113.5")
	err := h.g.Ban(context.Background(), ip, "x", time.Minute)
	if !errors.Is(err, errs.ErrUnavailable) || !errors.Is(err, errStoreDown) {
		t.Fatalf("err = %v, want ErrUnavailable wrapping the store error", err)
	}
	if h.g.Banned(ip) {
		t.Error("ban in force although not saved")
	}
}

func TestLiftKeepsTheBanWhenTheStoreFails(t *testing.T) {
	store := newFakeStore()
	h := newHarness(t, store, nil)
	ip := netip.MustParseAddr("203.0.113.5")
	if err := h.g.Ban(context.Background(), ip, "x", time.Minute); err != nil {
		t.Fatal(err)
	}
	store.setFail(errStoreDown)
	if err := h.g.Lift(context.Background(), ip); !errors.Is(err, errs.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !h.g.Banned(ip) {
		t.Error("ban gone from memory but still in the store")
	}
}

func TestBanRules(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	if err := h.g.Ban(ctx, netip.MustParseAddr("127.0.0.9"), "x", time.Minute); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("ban of allow-listed IP: %v, want ErrForbidden", err)
	}
	if err := h.g.Ban(ctx, netip.Addr{}, "x", time.Minute); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("ban of zero IP: %v, want ErrInvalid", err)
	}
	ip := netip.MustParseAddr("203.0.113.3")
	if err := h.g.Lift(ctx, ip); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("lift of unbanned IP: %v, want ErrNotFound", err)
	}
	if err := h.g.Ban(ctx, ip, "", 0); err != nil {
		t.Fatal(err)
	}
	b := h.g.Bans()[0]
	if b.Reason != "manual" || !b.Until.Equal(h.clock.Now().Add(DefaultConfig().BanDuration)) {
		t.Errorf("default ban = %+v, want reason manual for BanDuration", b)
	}
	// The mapped form names the same address.
	if !h.g.Banned(netip.MustParseAddr("::ffff:203.0.113.3")) {
		t.Error("mapped form not banned")
	}
	h.clock.Advance(DefaultConfig().BanDuration)
	if h.g.Banned(ip) || len(h.g.Bans()) != 0 {
		t.Error("ban outlived its Until")
	}
	if err := h.g.Lift(ctx, ip); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("lift of expired ban: %v, want ErrNotFound", err)
	}
}

func TestSweepForgetsExpiredBansAndIdleState(t *testing.T) {
	store := newFakeStore()
	h := newHarness(t, store, func(c *Config) { c.FloodBan = false })
	ctx := context.Background()
	banned := netip.MustParseAddr("203.0.113.8")
	if err := h.g.Ban(ctx, banned, "x", time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		h.g.admit(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 1)
	}
	h.g.AuthFailure(ctx, netip.MustParseAddr("198.51.100.1"), "1001")
	if n := h.g.trackedPeers(); n != 50 {
		t.Fatalf("tracked peers = %d, want 50", n)
	}
	// One token spent: the bucket refills in 10 ms at 100/s, but not yet.
	h.g.sweep(ctx)
	if n := h.g.trackedPeers(); n != 50 {
		t.Errorf("sweep evicted %d peers whose buckets were not full", 50-n)
	}

	h.clock.Advance(time.Minute)
	h.g.sweep(ctx)
	if n := h.g.trackedPeers(); n != 0 {
		t.Errorf("tracked peers after idle sweep = %d, want 0", n)
	}
	if _, ok := store.get(banned); ok {
		t.Error("expired ban not deleted from the store")
	}
	if h.g.banCount.Load() != 0 {
		t.Errorf("ban count = %d after expiry", h.g.banCount.Load())
	}
	if h.g.ipFails.len() != 1 || h.g.acctFails.len() != 1 {
		t.Error("failure counts dropped inside their window")
	}
	h.clock.Advance(DefaultConfig().FailureWindow)
	h.g.sweep(ctx)
	if h.g.ipFails.len() != 0 || h.g.acctFails.len() != 0 {
		t.Error("failure counts kept after their window")
	}
}

func TestTrackedStateIsCapped(t *testing.T) {
	const limit = shardCount // one peer per shard
	h := newHarness(t, nil, func(c *Config) { c.MaxTrackedIPs = limit; c.Burst = 1; c.FloodDrops = 1 })
	passed := 0
	for i := range 1000 {
		if h.g.admit(netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), 1) == verdictPass {
			passed++
		}
	}
	if n := h.g.trackedPeers(); n > limit {
		t.Errorf("tracked peers = %d, cap %d", n, limit)
	}
	// Each shard: one tracked source and one overflow bucket, one token each.
	if passed > 2*shardCount {
		t.Errorf("%d new sources passed; overflow buckets should hold them to %d", passed, 2*shardCount)
	}
	if n := len(h.g.Bans()); n != 0 {
		t.Errorf("%d sources banned for drops in the shared overflow bucket", n)
	}

	// Automatic bans stop at the cap; manual ones do not.
	ctx := context.Background()
	for i := range limit + 10 {
		h.g.autoBan(ctx, netip.AddrFrom4([4]byte{10, 8, 0, byte(i)}), "test", h.clock.Now())
	}
	if n := len(h.g.Bans()); n != limit {
		t.Errorf("automatic bans = %d, want the cap %d", n, limit)
	}
	if err := h.g.Ban(ctx, netip.MustParseAddr("10.7.0.1"), "desk", 0); err != nil || len(h.g.Bans()) != limit+1 {
		t.Errorf("manual ban at cap: %v, %d bans", err, len(h.g.Bans()))
	}

	// A full failure counter still counts a new key, in place of the key
	// with the fewest failures; a persistent guesser keeps its count.
	fc := newFailureCounter[int](time.Minute, 2)
	for range 5 {
		fc.add(1, h.clock.Now())
	}
	fc.add(2, h.clock.Now())
	if n := fc.add(3, h.clock.Now()); n != 1 || fc.len() != 2 {
		t.Errorf("full counter did not count a new key: n=%d len=%d", n, fc.len())
	}
	if n := fc.add(1, h.clock.Now()); n != 6 {
		t.Errorf("the guesser's count was pushed out: %d, want 6", n)
	}
}

func TestNewRejectsBadConfigNamingTheKey(t *testing.T) {
	for key, tune := range map[string]func(*Config){
		"RatePerSec":           func(c *Config) { c.RatePerSec = 0 },
		"Burst":                func(c *Config) { c.Burst = 0 },
		"MaxMessageBytes":      func(c *Config) { c.MaxMessageBytes = 100 },
		"FailureWindow":        func(c *Config) { c.FailureWindow = 0 },
		"FloodDrops":           func(c *Config) { c.FloodDrops = 0 },
		"MaxTrackedIPs":        func(c *Config) { c.MaxTrackedIPs = 1 },
		"AllowCIDRs[0]":        func(c *Config) { c.AllowCIDRs = []netip.Prefix{{}} },
		"ScannerUserAgents[1]": func(c *Config) { c.ScannerUserAgents = []string{"a", ""} },
	} {
		cfg := DefaultConfig()
		tune(&cfg)
		_, err := New(context.Background(), cfg, nil, nil, nil, nil)
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: err = %v, want ErrInvalid naming the key", key, err)
		}
	}
	if _, err := New(context.Background(), DefaultConfig(), nil, nil, nil, nil); err != nil {
		t.Errorf("DefaultConfig rejected: %v", err)
	}
}

func TestNewFailsWhenBansCannotBeLoaded(t *testing.T) {
	store := newFakeStore()
	store.setFail(errStoreDown)
	_, err := New(context.Background(), DefaultConfig(), store, nil, nil, nil)
	if !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}
