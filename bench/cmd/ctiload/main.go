// Command ctiload holds N CTI connections to a yimen hub, all subscribed to
// the tenant's events, for a while, and reports how late the events reached
// them: the fan-out latency from the hub's timestamp (ts, millisecond
// precision, same clock: loopback only) to each client's reading of the
// decoded event, plus events missed (gaps in seq) and clients cut off. It is
// the CTI side of bench/queue.sh.
//
// usage:
//
//	ctiload -url ws://127.0.0.10:8080/cti -token-file FILE -clients 200 -duration 60s
//
// The token is read from a file so it never shows in a process list.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/yimen/yimen/cti/client"
)

const (
	maxClients  = 5000
	maxDuration = 30 * time.Minute
)

var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Stdout, log); err != nil {
		log.Error("ctiload", "err", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type options struct {
	url      string
	token    string
	clients  int
	duration time.Duration
	topics   []string
}

// report is what ctiload prints.
type report struct {
	Clients      int            `json:"clients"`
	Connected    int            `json:"connected"`
	CutOff       int            `json:"cut_off"`
	Seconds      float64        `json:"seconds"`
	Events       int            `json:"events"`        // deliveries, all clients
	EventsUnique int            `json:"events_unique"` // distinct seq
	Missed       int            `json:"missed"`        // seq gaps, all clients
	ByType       map[string]int `json:"by_type"`       // distinct events by type
	P50ms        float64        `json:"p50_ms"`
	P90ms        float64        `json:"p90_ms"`
	P99ms        float64        `json:"p99_ms"`
	MaxMs        float64        `json:"max_ms"`
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("ctiload", flag.ContinueOnError)
	u := fs.String("url", "ws://127.0.0.10:8080/cti", "the hub, ws:// on loopback")
	tf := fs.String("token-file", "", "file whose first word is a CTI token")
	n := fs.Int("clients", 100, "connections")
	d := fs.Duration("duration", time.Minute, "how long to listen")
	topics := fs.String("topics", "tenant", "comma-separated topics")
	if err := fs.Parse(args); err != nil {
		return options{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	o := options{url: *u, clients: *n, duration: *d, topics: strings.Split(*topics, ",")}
	pu, err := url.Parse(o.url)
	if err != nil || (pu.Scheme != "ws" && pu.Scheme != "wss") {
		return o, fmt.Errorf("%w: -url %q: want ws://host:port/path", errUsage, o.url)
	}
	if a, err := netip.ParseAddr(pu.Hostname()); err != nil || !a.IsLoopback() {
		if ips, _ := net.DefaultResolver.LookupNetIP(context.Background(), "ip", pu.Hostname()); len(ips) == 0 || !ips[0].IsLoopback() {
			return o, fmt.Errorf("%w: -url host %q is not loopback: refused", errUsage, pu.Hostname())
		}
	}
	if o.clients < 1 || o.clients > maxClients {
		return o, fmt.Errorf("%w: -clients %d outside 1..%d", errUsage, o.clients, maxClients)
	}
	if o.duration <= 0 || o.duration > maxDuration {
		return o, fmt.Errorf("%w: -duration %s outside (0, %s]", errUsage, o.duration, maxDuration)
	}
	b, err := os.ReadFile(*tf)
	if err != nil {
		return o, fmt.Errorf("%w: -token-file: %w", errUsage, err)
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		o.token = f[0]
	}
	if o.token == "" {
		return o, fmt.Errorf("%w: -token-file %s holds no token", errUsage, *tf)
	}
	return o, nil
}

// listener is what one connection saw.
type listener struct {
	lat    []float64 // ms
	seqs   map[uint64]string
	missed int
	cutOff bool
}

func run(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	conns := make([]*client.Client, o.clients)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	var mu sync.Mutex
	var dialErr error
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			c, err := client.Dial(dctx, o.url, client.Options{Token: o.token, EventBuffer: 4096})
			if err == nil {
				if _, err = c.Subscribe(dctx, o.topics...); err != nil {
					c.Close()
				}
			}
			if err != nil {
				mu.Lock()
				dialErr = err
				mu.Unlock()
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if dialErr != nil {
		log.Warn("some clients did not connect", "err", dialErr)
	}
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	ls := make([]*listener, len(conns))
	for i, c := range conns {
		if c == nil {
			continue
		}
		ls[i] = &listener{seqs: map[uint64]string{}}
		wg.Add(1)
		go func() { defer wg.Done(); listen(lctx, c, ls[i]) }()
	}
	wg.Wait()
	r := summarise(ls, o.clients, time.Since(start))
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func listen(ctx context.Context, c *client.Client, l *listener) {
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			l.cutOff = true
			return
		case ev := <-c.Events():
			now := time.Now()
			if t, err := ev.Time(); err == nil {
				l.lat = append(l.lat, float64(now.Sub(t).Microseconds())/1000)
			}
			if ev.Seq != 0 {
				if last != 0 && ev.Seq > last+1 {
					l.missed += int(ev.Seq - last - 1)
				}
				last = ev.Seq
				l.seqs[ev.Seq] = ev.Type
			}
		}
	}
}

func summarise(ls []*listener, clients int, el time.Duration) report {
	r := report{Clients: clients, Seconds: float64(el.Milliseconds()) / 1000, ByType: map[string]int{}}
	var all []float64
	uniq := map[uint64]string{}
	for _, l := range ls {
		if l == nil {
			continue
		}
		r.Connected++
		if l.cutOff {
			r.CutOff++
		}
		r.Missed += l.missed
		all = append(all, l.lat...)
		for s, t := range l.seqs {
			uniq[s] = t
		}
	}
	r.Events = len(all)
	r.EventsUnique = len(uniq)
	for _, t := range uniq {
		r.ByType[t]++
	}
	if len(all) > 0 {
		slices.Sort(all)
		q := func(p float64) float64 { return all[min(len(all)-1, int(float64(len(all))*p))] }
		r.P50ms, r.P90ms, r.P99ms, r.MaxMs = q(0.50), q(0.90), q(0.99), all[len(all)-1]
	}
	return r
}
