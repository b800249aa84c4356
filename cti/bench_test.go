package cti_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
)

// BenchmarkFanout measures CTI event latency to 1000 connected clients over
// loopback websockets: from Publish to the event coming out of each
// client's Events channel (decoded). Each op publishes `burst` events
// back to back and waits until every client has all of them; p50 and p99
// are over every (event, client) pair. Publish times are kept by seq, so
// the clients do no work beyond what the client package does.
func BenchmarkFanout(b *testing.B) {
	for _, burst := range []int{1, 20} {
		b.Run(fmt.Sprintf("clients=1000/burst=%d", burst), func(b *testing.B) { benchFanout(b, 1000, burst) })
	}
}

func benchFanout(b *testing.B, n, burst int) {
	hub, err := cti.NewHub(cti.Config{Epoch: "bench"}, cti.Deps{Auth: cti.NewStaticTokens(map[string]cti.Principal{
		"wall": {Tenant: "demo", Roles: []string{protocol.RoleWallboard}}}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx := context.Background()

	var (
		remaining atomic.Int64
		allIn     = make(chan struct{}, 1)
		mu        sync.Mutex
		samples   []time.Duration
		published []atomic.Int64 // publish time by seq
	)
	published = make([]atomic.Int64, b.N*burst+1)
	clients := make([]*client.Client, n)
	var readers sync.WaitGroup
	for i := range clients {
		c, err := client.Dial(ctx, url, client.Options{Token: "wall", EventBuffer: 64})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Subscribe(ctx, "tenant"); err != nil {
			b.Fatal(err)
		}
		clients[i] = c
		readers.Add(1)
		go func() {
			defer readers.Done()
			var mine []time.Duration
			for ev := range c.Events() {
				if ev.Seq < uint64(len(published)) {
					mine = append(mine, time.Duration(time.Now().UnixNano()-published[ev.Seq].Load()))
				}
				if remaining.Add(-1) == 0 {
					allIn <- struct{}{}
				}
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		}()
	}
	// An agent.state-sized payload.
	pad := strings.Repeat("x", 200)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		remaining.Store(int64(n * burst))
		for range burst {
			published[hub.Seq("demo")+1].Store(time.Now().UnixNano())
			if _, err := hub.Publish("demo", cti.Event{Type: protocol.EventAgentState,
				Data: map[string]any{"agent": "a1", "state": "ready", "reason": pad}}); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-allIn:
		case <-time.After(30 * time.Second):
			b.Fatalf("%d deliveries missing; hub stats %+v", remaining.Load(), hub.Stats())
		}
	}
	b.StopTimer()
	if cut := hub.Stats().Cut; cut > 0 {
		b.Fatalf("%d clients cut during the benchmark", cut)
	}
	for _, c := range clients {
		c.Close()
	}
	readers.Wait()
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[int(p*float64(len(samples)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
