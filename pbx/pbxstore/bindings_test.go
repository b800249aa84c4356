package pbxstore_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/yimen/yimen/pbx/registrar"
)

func bindings(n int, gen uint32) []registrar.Binding {
	now := time.Now().Truncate(time.Millisecond)
	out := make([]registrar.Binding, n)
	for i := range out {
		out[i] = registrar.Binding{Tenant: "demo", AOR: fmt.Sprint(1000 + i), Contact: fmt.Sprintf("sip:%d@127.0.0.4:%d", 1000+i, 5000+i),
			Received: netip.MustParseAddrPort(fmt.Sprintf("127.0.0.4:%d", 5000+i)), Transport: "UDP", CallID: fmt.Sprintf("c%d", i),
			CSeq: gen, Expires: now.Add(time.Hour), UserAgent: "bench", Updated: now}
	}
	return out
}

// Saving a batch writes, updates and removes exactly what it was given,
// across the chunks a large batch is split into.
func TestSaveBindingsBatches(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	first := bindings(450, 1)
	if err := s.SaveBindings(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	refreshed := bindings(450, 2)
	if err := s.SaveBindings(ctx, refreshed[:300], first[300:]); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadBindings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 300 {
		t.Fatalf("%d bindings after removing 150 of 450, want 300", len(got))
	}
	byAOR := map[string]registrar.Binding{}
	for _, b := range got {
		byAOR[b.AOR] = b
	}
	for _, w := range refreshed[:300] {
		g, ok := byAOR[w.AOR]
		if !ok || g.CSeq != 2 || g.Contact != w.Contact || g.Received != w.Received || !g.Expires.Equal(w.Expires) || g.UserAgent != "bench" {
			t.Fatalf("binding %s = %+v, want %+v", w.AOR, g, w)
		}
	}
	for _, r := range first[300:] {
		if _, ok := byAOR[r.AOR]; ok {
			t.Fatalf("binding %s not removed", r.AOR)
		}
	}
}

// BenchmarkSaveBindings is one registrar flush at 3500 REGISTERs/s: 350
// refreshed bindings in one transaction.
func BenchmarkSaveBindings(b *testing.B) {
	ctx := context.Background()
	s := openStore(b)
	batch := bindings(350, 1)
	if err := s.SaveBindings(ctx, batch, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SaveBindings(ctx, batch, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/350, "ns/binding")
}
