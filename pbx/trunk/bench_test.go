package trunk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/yimen/yimen/internal/config"
)

func BenchmarkNormalize(b *testing.B) {
	for _, raw := range []string{"13812345678", "+8613812345678", "58001234", "+86 10 5800-1234"} {
		b.Run(raw, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Normalize(raw, "010")
			}
		})
	}
}

// routesManager builds a tenant with n outbound routes: n-1 fixed-line
// prefixes that never match a mobile, then the mobile route last, so a
// call to a mobile scans every route (the worst case of first-match).
func routesManager(b *testing.B, n int) *Manager {
	b.Helper()
	cfg := config.Defaults()
	cfg.SIP.UDP = "127.0.0.1:5060"
	routes := make([]config.OutboundRoute, 0, n)
	for i := range n - 1 {
		routes = append(routes, config.OutboundRoute{Name: fmt.Sprintf("r%d", i), Patterns: []string{fmt.Sprintf("_0%05dX.", i)}, Trunks: []string{"ct"}})
	}
	routes = append(routes, config.OutboundRoute{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"ct"}})
	cfg.Tenants = []config.Tenant{{Name: "acme", Extensions: []string{"1001"}, TenantTrunks: config.TenantTrunks{
		AreaCode: "010", Trunks: []config.Trunk{{Name: "ct", Auth: "ip", Proxy: "127.0.13.1:5060", NumberFormat: "e164"}},
		DIDs: []config.DID{{Number: "01058001000", Target: "1001"}}, Routes: routes,
	}}}
	m, err := New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range m.all {
		t.optionsOK = true
		t.settleLocked(m.now(), "bench")
	}
	return m
}

// BenchmarkOutbound: a call's whole way out (normalise, classify, class
// check, route match, caps, the first leg, End) with 10, 1 000 and 10 000
// routes, the matching one last.
func BenchmarkOutbound(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			m := routesManager(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				p, err := m.Outbound(ctx, "acme", "1001", "013812345678")
				if err != nil {
					b.Fatal(err)
				}
				if _, ok, _ := p.Next(); !ok {
					b.Fatal("no leg")
				}
				p.End()
			}
		})
	}
}

func BenchmarkInbound(b *testing.B) {
	m := routesManager(b, 10)
	src := netip.MustParseAddr("127.0.13.1")
	b.ReportAllocs()
	for b.Loop() {
		in, _, err := m.Inbound(src, "+861058001000", "", "+8613812345678")
		if err != nil {
			b.Fatal(err)
		}
		in.Release()
	}
}
