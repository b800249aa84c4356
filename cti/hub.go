package cti

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// Config tunes the hub; zero fields take the defaults shown.
type Config struct {
	ReplayWindow    int           // events kept per tenant for resuming clients (4096)
	SendQueue       int           // frames queued per connection before it is cut as slow (512)
	MaxMessageBytes int64         // largest message a client may send (16 KiB)
	RatePerSecond   float64       // commands per second per connection (20)
	RateBurst       int           // burst above the rate (40)
	AuthTimeout     time.Duration // time to send auth when no header was given (5 s)
	WriteTimeout    time.Duration // a write that takes longer ends the connection (10 s)
	PingInterval    time.Duration // keep-alive ping; twice this without traffic ends it (30 s)
	CommandTimeout  time.Duration // how long a command may take (5 s)
	// Recheck is how often a connection's credential is authenticated
	// again (1 min): a revoked or expired token, or changed roles, end the
	// connection within this time.
	Recheck time.Duration
	// AllowedOrigins lists browser origins ("https://oa.example") allowed
	// besides the hub's own host; non-browser clients send no Origin.
	AllowedOrigins []string
	// Epoch names this run of the hub (random by default); seqs restart
	// with a new epoch, so a client's since from an older one is refused.
	Epoch string
}

func (c Config) withDefaults() Config {
	if c.ReplayWindow <= 0 {
		c.ReplayWindow = 4096
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 512
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 16 << 10
	}
	if c.RatePerSecond <= 0 {
		c.RatePerSecond = 20
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 40
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 5 * time.Second
	}
	if c.Recheck <= 0 {
		c.Recheck = time.Minute
	}
	if c.Epoch == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		c.Epoch = hex.EncodeToString(b[:])
	}
	return c
}

// Deps are the hub's collaborators; nil Agents, Calls or Monitoring make
// their commands answer "unavailable".
type Deps struct {
	Auth       Authenticator // required
	Agents     AgentControl
	Calls      CallControl
	Monitoring Monitoring
	Browser    Browser          // webrtc.open/close; nil: the commands answer unavailable
	Now        func() time.Time // time.Now by default
	Logger     *slog.Logger     // discards by default
}

// Hub is the CTI websocket server. Mount it on an HTTP path (e.g. /cti).
type Hub struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	upgrader websocket.Upgrader
	mu       sync.Mutex // guards tenants, all and closed
	tenants  map[string]*tenantHub
	all      map[*conn]struct{} // every open connection, authenticated or not
	closed   bool
	conns    sync.WaitGroup
	cuts     atomic.Uint64
	connIDs  atomic.Uint64 // names connections for Browser.Detach
}

// Event is what a publisher hands the hub.
type Event struct {
	Type   string
	Agents []string // the agents it concerns (agent:<id> subscribers see it)
	Queues []string // the queues it concerns (queue:<id> subscribers see it)
	Data   any
}

// NewHub returns a hub.
func NewHub(cfg Config, deps Deps) (*Hub, error) {
	if deps.Auth == nil {
		return nil, fmt.Errorf("cti: an Authenticator is required: %w", errs.ErrInvalid)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Hub{cfg: cfg.withDefaults(), deps: deps, log: deps.Logger, tenants: map[string]*tenantHub{}, all: map[*conn]struct{}{}}
	// Events and replies are written as ready-made frames (conn.write), not
	// through gorilla's message writer, so a connection keeps no write
	// buffer of its own: the pool lends one only if a message writer is
	// ever used (4 KiB less per connection).
	h.upgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferPool: &sync.Pool{}, CheckOrigin: h.checkOrigin,
		HandshakeTimeout: 10 * time.Second}
	return h, nil
}

// Epoch names this run of the hub.
func (h *Hub) Epoch() string { return h.cfg.Epoch }

func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	// Same host as the request, as gorilla's default does.
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(host, r.Host)
}

// tenantHub is one tenant's event stream: its seq, replay window and the
// connections subscribed to it. Publish holds mu only to number, store
// and queue a frame; sockets are written by each connection's writer.
type tenantHub struct {
	mu      sync.Mutex
	seq     uint64
	ring    []frame // circular, len == ReplayWindow once full
	start   int     // index of the oldest frame when full
	clients map[*conn]struct{}
}

type frame struct {
	seq    uint64
	agents []string
	queues []string
	msg    []byte // the whole websocket frame, shared by every subscriber
}

func (h *Hub) tenant(name string) *tenantHub {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tenants[name]
	if t == nil {
		t = &tenantHub{clients: map[*conn]struct{}{}}
		h.tenants[name] = t
	}
	return t
}

// Publish numbers an event in its tenant's stream, keeps it for replay and
// queues it to every subscriber. It never blocks on a connection: one whose
// queue is full is cut off. It returns the event's seq.
func (h *Hub) Publish(tenant string, e Event) (uint64, error) {
	var data json.RawMessage
	if e.Data != nil {
		raw, err := json.Marshal(e.Data)
		if err != nil {
			return 0, fmt.Errorf("cti: encode %s: %w", e.Type, err)
		}
		data = raw
	}
	t := h.tenant(tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	env := protocol.Envelope{V: protocol.Version, Type: e.Type, ID: h.cfg.Epoch + "-" + strconv.FormatUint(t.seq, 10),
		Seq: t.seq, TS: protocol.Timestamp(h.deps.Now()), Tenant: tenant, Data: data}
	raw, err := json.Marshal(env)
	if err != nil {
		t.seq--
		return 0, fmt.Errorf("cti: encode %s: %w", e.Type, err)
	}
	f := frame{seq: t.seq, agents: e.Agents, queues: e.Queues, msg: textFrame(raw)}
	t.keep(f, h.cfg.ReplayWindow)
	for c := range t.clients {
		if c.subs.match(f) && !c.push(f.msg, true) {
			delete(t.clients, c)
		}
	}
	return f.seq, nil
}

func (t *tenantHub) keep(f frame, window int) {
	if len(t.ring) < window {
		t.ring = append(t.ring, f)
		return
	}
	t.ring[t.start] = f
	t.start = (t.start + 1) % window
}

// oldest is the seq of the oldest frame kept (seq+1 when none is kept).
func (t *tenantHub) oldest() uint64 {
	if len(t.ring) == 0 {
		return t.seq + 1
	}
	return t.ring[t.start].seq
}

// since calls fn for each kept frame after seq, oldest first.
func (t *tenantHub) since(seq uint64, fn func(frame)) {
	n := len(t.ring)
	for i := range n {
		f := t.ring[(t.start+i)%n]
		if f.seq > seq {
			fn(f)
		}
	}
}

// Seq returns a tenant's latest seq.
func (h *Hub) Seq(tenant string) uint64 {
	t := h.tenant(tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// HubStats counts the hub's connections.
type HubStats struct {
	Clients int    // connections subscribed or waiting to subscribe
	Cut     uint64 // connections cut off (slow, rate, protocol) since start
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	ts := make([]*tenantHub, 0, len(h.tenants))
	for _, t := range h.tenants {
		ts = append(ts, t)
	}
	h.mu.Unlock()
	var st HubStats
	for _, t := range ts {
		t.mu.Lock()
		st.Clients += len(t.clients)
		t.mu.Unlock()
	}
	st.Cut = h.cuts.Load()
	return st
}

// Close cuts every connection ("going away") and refuses new ones; it
// waits for the connections' goroutines to end.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	all := make([]*conn, 0, len(h.all))
	for c := range h.all {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.cut(websocket.CloseGoingAway, "server shutting down", false)
	}
	h.conns.Wait()
}

// admit records a new connection unless the hub is closing.
func (h *Hub) admit(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.all[c] = struct{}{}
	h.conns.Add(1)
	return true
}

func (h *Hub) forget(c *conn) {
	h.mu.Lock()
	delete(h.all, c)
	h.mu.Unlock()
	h.conns.Done()
}
