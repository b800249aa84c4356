package cti_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
//
// reader=client reads with the client package (what an agent bar in Go
// does, decoding every envelope); reader=raw only reads the frames and
// picks out the seq, so the clients' own CPU, which in production is on
// other machines, takes less of the two cores the hub is measured on.
func BenchmarkFanout(b *testing.B) {
	for _, reader := range []string{"client", "raw"} {
		for _, burst := range []int{1, 20} {
			b.Run(fmt.Sprintf("clients=1000/burst=%d/reader=%s", burst, reader), func(b *testing.B) {
				benchFanout(b, 1000, burst, reader == "raw")
			})
		}
	}
}

// rawReader subscribes to the tenant over a bare websocket and calls fn
// with the seq of each event.
func rawReader(b *testing.B, url, token string, fn func(seq uint64)) func() {
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil { // hello
		b.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"subscribe","id":"s","data":{"topics":["tenant"]}}`)); err != nil {
		b.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil { // ok
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		key := []byte(`"seq":`)
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			i := bytes.Index(msg, key)
			if i < 0 {
				continue
			}
			var seq uint64
			for _, c := range msg[i+len(key):] {
				if c < '0' || c > '9' {
					break
				}
				seq = seq*10 + uint64(c-'0')
			}
			fn(seq)
		}
	}()
	return func() { ws.Close(); <-done }
}

func benchFanout(b *testing.B, n, burst int, raw bool) {
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
	var closers []func()
	for range n {
		if raw {
			var mine []time.Duration
			closers = append(closers, rawReader(b, url, "wall", func(seq uint64) {
				if seq < uint64(len(published)) {
					mine = append(mine, time.Duration(time.Now().UnixNano()-published[seq].Load()))
				}
				if remaining.Add(-1) == 0 {
					allIn <- struct{}{}
				}
			}))
			closers = append(closers, func() {
				mu.Lock()
				samples = append(samples, mine...)
				mu.Unlock()
			})
			continue
		}
		c, err := client.Dial(ctx, url, client.Options{Token: "wall", EventBuffer: 64})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Subscribe(ctx, "tenant"); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
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
		closers = append(closers, func() { c.Close(); <-done })
	}
	// An agent.state-sized payload.
	pad := strings.Repeat("x", 200)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
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
	// CPU time of the whole process (hub and clients) per event: unlike
	// the latencies it does not grow when other work shares the box.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N*burst), "cpu-ms/event")
	if cut := hub.Stats().Cut; cut > 0 {
		b.Fatalf("%d clients cut during the benchmark", cut)
	}
	for _, closeIt := range closers {
		closeIt()
	}
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[int(p*float64(len(samples)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
