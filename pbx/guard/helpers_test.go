package guard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fakeClock is the injected clock: tests move time instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeStore is an in-memory BanStore.
type fakeStore struct {
	mu      sync.Mutex
	bans    map[netip.Addr]Ban
	failErr error // returned by every call when set
}

func newFakeStore(bans ...Ban) *fakeStore {
	s := &fakeStore{bans: make(map[netip.Addr]Ban)}
	for _, b := range bans {
		s.bans[b.IP] = b
	}
	return s
}

func (s *fakeStore) LoadBans(ctx context.Context) ([]Ban, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failErr != nil {
		return nil, s.failErr
	}
	var out []Ban
	for _, b := range s.bans {
		out = append(out, b)
	}
	return out, nil
}

func (s *fakeStore) SaveBan(ctx context.Context, b Ban) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failErr != nil {
		return s.failErr
	}
	s.bans[b.IP] = b
	return nil
}

func (s *fakeStore) DeleteBan(ctx context.Context, ip netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failErr != nil {
		return s.failErr
	}
	delete(s.bans, ip)
	return nil
}

func (s *fakeStore) get(ip netip.Addr) (Ban, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bans[ip]
	return b, ok
}

func (s *fakeStore) setFail(err error) {
	s.mu.Lock()
	s.failErr = err
	s.mu.Unlock()
}

var _ BanStore = (*fakeStore)(nil)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a Guard on a fake clock with its own registry and log.
type harness struct {
	g     *Guard
	clock *fakeClock
	reg   *prometheus.Registry
	store *fakeStore
	logs  *syncBuffer
}

func newHarness(t *testing.T, store *fakeStore, tune func(*Config)) *harness {
	t.Helper()
	cfg := DefaultConfig()
	cfg.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}
	if tune != nil {
		tune(&cfg)
	}
	h := &harness{clock: newFakeClock(), reg: prometheus.NewRegistry(), store: store, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var bs BanStore
	if store != nil {
		bs = store
	}
	g, err := New(context.Background(), cfg, bs, log, h.reg, h.clock.Now)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.g = g
	return h
}

// metric returns the value of the named counter or gauge, matching the
// reason label when given; 0 when the series does not exist yet.
func (h *harness) metric(t *testing.T, name, reason string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := reason == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					match = true
				}
			}
			if !match {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func (h *harness) dropped(t *testing.T, reason string) float64 {
	t.Helper()
	return h.metric(t, "yimen_guard_dropped_total", reason)
}

// trackedPeers counts per-IP buckets.
func (g *Guard) trackedPeers() int {
	n := 0
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		n += len(s.peers)
		s.mu.Unlock()
	}
	return n
}

// udpServer is a guarded UDP socket on 127.0.0.1 whose passing datagrams
// arrive on a channel.
type udpServer struct {
	raw  *net.UDPConn
	pc   net.PacketConn
	got  chan datagram
	done chan struct{}
	seen int // datagrams taken off got by earlier awaits
}

type datagram struct {
	from    netip.Addr
	payload string
}

func startUDPServer(t *testing.T, g *Guard) *udpServer {
	t.Helper()
	return startUDPServerWith(t, g.WrapPacketConn)
}

// startUDPServerWith is startUDPServer with the socket wrapped by wrap.
func startUDPServerWith(t *testing.T, wrap func(net.PacketConn) net.PacketConn) *udpServer {
	t.Helper()
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	_ = raw.SetReadBuffer(1 << 20)
	s := &udpServer{raw: raw, pc: wrap(raw), got: make(chan datagram, 1024), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 32<<10)
		for {
			n, addr, err := s.pc.ReadFrom(buf)
			if err != nil {
				return
			}
			s.got <- datagram{from: addrIP(addr), payload: string(buf[:n])}
		}
	}()
	t.Cleanup(func() {
		_ = s.pc.Close()
		<-s.done
	})
	return s
}

// udpClient opens a socket bound to ip (127.0.0.x), connected to s.
func (s *udpServer) udpClient(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)}, s.raw.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func send(t *testing.T, c *net.UDPConn, payload string) {
	t.Helper()
	if _, err := c.Write([]byte(payload)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// await returns the datagrams that passed since the last await once all
// datagrams sent so far (sent counts from the start of the test) have been
// judged, i.e. passed plus dropped (every reason) reaches sent. The
// deadline only stops a broken test from hanging; nothing is timed.
func (h *harness) await(t *testing.T, s *udpServer, sent int) []datagram {
	t.Helper()
	var out []datagram
	deadline := time.Now().Add(10 * time.Second)
	for {
		for drained := false; !drained; {
			select {
			case d := <-s.got:
				out = append(out, d)
			default:
				drained = true
			}
		}
		dropped := 0.0
		for _, r := range []string{"banned", "rate", "too_big", "scanner", "not_carrier"} {
			dropped += h.dropped(t, r)
		}
		if s.seen+len(out)+int(dropped) >= sent {
			s.seen += len(out)
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d datagrams judged (%d passed)", s.seen+len(out)+int(dropped), sent, s.seen+len(out))
		}
		time.Sleep(time.Millisecond)
	}
}

func countFrom(ds []datagram, ip string) int {
	n := 0
	for _, d := range ds {
		if d.from == netip.MustParseAddr(ip) {
			n++
		}
	}
	return n
}

func sipRequest(userAgent string) string {
	return "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-1\r\n" +
		"From: <sip:100@127.0.0.2>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\n" +
		"Call-ID: 1@127.0.0.2\r\nCSeq: 1 OPTIONS\r\n" +
		userAgent +
		"Content-Length: 0\r\n\r\n"
}

var errStoreDown = errors.New("store down")
