package oa

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/yimen/yimen/cti/protocol"
)

// BenchmarkBuildCard times the screen pop's lookup on a small generated
// tenant; cmd/oa-gen measures it at 1 M customers / 10 M tickets
// (docs/BENCHMARKS.md).
func BenchmarkBuildCard(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b)
	if _, err := f.svc.CreateDepartment(ctx, "demo", 0, "维修部"); err != nil {
		b.Fatal(err)
	}
	if _, err := f.svc.PutCategory(ctx, "demo", Category{Name: "报修"}); err != nil {
		b.Fatal(err)
	}
	const customers = 5000
	if err := f.svc.Generate(ctx, "demo", GenerateOptions{Customers: customers, Tickets: 50000, Contacts: 10000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := 1 + rng.IntN(customers)
		card, err := f.svc.BuildCard(ctx, "demo", protocol.CallRinging{Call: "x", Agent: "a1", Caller: "+86" + GeneratedPhone(c)}, f.clk.t)
		if err != nil || !card.Known {
			b.Fatalf("customer %d: %v %+v", c, err, card)
		}
	}
}
