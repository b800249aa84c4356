package acd_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
)

// chanDialer hands rings to the benchmark loop.
type chanDialer struct{ rings chan acd.Ring }

func (d chanDialer) RingAgent(_ context.Context, r acd.Ring)            { d.rings <- r }
func (chanDialer) StopRing(context.Context, string, string, string)     {}
func (chanDialer) Overflow(context.Context, string, string, acd.Target) {}
func (chanDialer) Announce(context.Context, acd.Announcement)           {}

type nopSink struct{}

func (nopSink) ACDEvent(acd.Event) {}

// BenchmarkDecisions measures routing decisions per second: each op is one
// call enqueued, offered to the longest-idle of 50 agents, answered and
// ended (four round trips to the tenant's actor).
func BenchmarkDecisions(b *testing.B) {
	for _, persist := range []bool{false, true} {
		name := "memory"
		if persist {
			name = "sqlite_log"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			d := chanDialer{rings: make(chan acd.Ring, 1024)}
			deps := acd.Deps{Dialer: d, Events: nopSink{}, Logger: slog.New(slog.DiscardHandler)}
			var log *acd.SQLLog
			if persist {
				db, l := openLog(b, filepath.Join(b.TempDir(), "acd.db"))
				defer db.Close()
				defer l.Close(ctx)
				deps.Log, log = l, l
			}
			a, err := acd.New(deps)
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			n := 50
			if err := a.AddTenant(ctx, acd.TenantConfig{Tenant: "bench", Agents: agents(n),
				Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.LongestIdle, Agents: ids(n)}}}); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				if err := a.Login(ctx, "bench", fmt.Sprintf("a%d", i+1)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				id := fmt.Sprintf("c%d", i)
				if err := a.Enqueue(ctx, "bench", acd.Call{ID: id, Queue: "q", Caller: "1001"}); err != nil {
					b.Fatal(err)
				}
				r := <-d.rings
				if err := a.AgentAnswered(ctx, "bench", id, r.AgentID); err != nil {
					b.Fatal(err)
				}
				if err := a.CallEnded(ctx, "bench", id); err != nil {
					b.Fatal(err)
				}
			}
			// Sustained means the log kept up: what is still queued counts.
			if log != nil {
				if err := log.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
			b.StopTimer()
		})
	}
}

// BenchmarkDispatchBacklog measures offering calls out of a backlog of 500
// waiting callers to 200 agents as they free up.
func BenchmarkDispatchBacklog(b *testing.B) {
	ctx := context.Background()
	d := chanDialer{rings: make(chan acd.Ring, 4096)}
	a, err := acd.New(acd.Deps{Dialer: d, Events: nopSink{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	n := 200
	if err := a.AddTenant(ctx, acd.TenantConfig{Tenant: "bench", Agents: agents(n),
		Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.LongestIdle, Agents: ids(n)}}}); err != nil {
		b.Fatal(err)
	}
	for i := range 500 + n {
		if err := a.Enqueue(ctx, "bench", acd.Call{ID: fmt.Sprintf("w%d", i), Queue: "q"}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		if err := a.Login(ctx, "bench", fmt.Sprintf("a%d", i+1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		r := <-d.rings
		if err := a.AgentAnswered(ctx, "bench", r.CallID, r.AgentID); err != nil {
			b.Fatal(err)
		}
		// Keep the backlog full: a new caller for each one answered.
		if err := a.Enqueue(ctx, "bench", acd.Call{ID: fmt.Sprintf("n%d", i), Queue: "q"}); err != nil {
			b.Fatal(err)
		}
		if err := a.CallEnded(ctx, "bench", r.CallID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}
