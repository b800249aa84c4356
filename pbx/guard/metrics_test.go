package guard

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

func TestActiveBansGaugeFollowsBansAndExpiry(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	gauge := func() float64 { return h.metric(t, "yimen_guard_active_bans", "") }
	if v := gauge(); v != 0 {
		t.Fatalf("active bans = %v at start", v)
	}
	_ = h.g.Ban(ctx, netip.MustParseAddr("203.0.113.1"), "x", time.Minute)
	_ = h.g.Ban(ctx, netip.MustParseAddr("203.0.113.2"), "x", time.Hour)
	_ = h.g.Ban(ctx, netip.MustParseAddr("203.0.113.2"), "again", time.Hour) // replaces
	if v := gauge(); v != 2 {
		t.Errorf("active bans = %v, want 2", v)
	}
	if v := h.metric(t, "yimen_guard_bans_total", ""); v != 3 {
		t.Errorf("bans total = %v, want 3 (every ban made counts)", v)
	}
	// Expiry shows before the janitor runs.
	h.clock.Advance(time.Minute)
	if v := gauge(); v != 1 {
		t.Errorf("active bans after one expired = %v, want 1", v)
	}
	_ = h.g.Lift(ctx, netip.MustParseAddr("203.0.113.2"))
	if v := gauge(); v != 0 {
		t.Errorf("active bans after lift = %v, want 0", v)
	}
}

func TestAllDropReasonsAreExported(t *testing.T) {
	h := newHarness(t, nil, nil)
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetName() == "yimen_guard_dropped_total" {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					reasons[l.GetValue()] = true
				}
			}
		}
	}
	for _, r := range []string{"banned", "rate", "too_big", "scanner"} {
		if !reasons[r] {
			t.Errorf("dropped_total{reason=%q} not exported before the first drop", r)
		}
	}
	for _, n := range []string{"yimen_guard_bans_total", "yimen_guard_active_bans", "yimen_sip_auth_failures_total"} {
		if !names[n] {
			t.Errorf("%s not registered", n)
		}
	}
}

func TestSecondGuardOnOneRegistryConflicts(t *testing.T) {
	h := newHarness(t, nil, nil)
	_, err := New(context.Background(), DefaultConfig(), nil, nil, h.reg, nil)
	if !errors.Is(err, errs.ErrConflict) {
		t.Errorf("err = %v, want ErrConflict", err)
	}
	// The failed New leaves the first guard's metrics in place.
	if _, err := h.reg.Gather(); err != nil {
		t.Fatal(err)
	}
	if v := h.metric(t, "yimen_guard_active_bans", ""); v != 0 {
		t.Errorf("active bans = %v", v)
	}
}
