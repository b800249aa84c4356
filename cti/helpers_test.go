package cti_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Tokens every test hub accepts.
const (
	tokAgent1 = "tok-agent-a1"
	tokAgent2 = "tok-agent-a2"
	tokSup    = "tok-supervisor"
	tokSys    = "tok-system"
	tokWall   = "tok-wallboard"
	tokOther  = "tok-other-tenant"
)

func testTokens() *cti.StaticTokens {
	return cti.NewStaticTokens(map[string]cti.Principal{
		tokAgent1: {Tenant: "demo", Agent: "a1", Roles: []string{protocol.RoleAgent}},
		tokAgent2: {Tenant: "demo", Agent: "a2", Roles: []string{protocol.RoleAgent}},
		tokSup:    {Tenant: "demo", Agent: "s1", Roles: []string{protocol.RoleAgent, protocol.RoleSupervisor}},
		tokSys:    {Tenant: "demo", Roles: []string{protocol.RoleSystem}},
		tokWall:   {Tenant: "demo", Roles: []string{protocol.RoleWallboard}},
		tokOther:  {Tenant: "other", Agent: "a1", Roles: []string{protocol.RoleAgent, protocol.RoleSupervisor}},
	})
}

// fakeCalls is a CallControl, Monitoring and Browser that records what it was asked.
type fakeCalls struct {
	mu       sync.Mutex
	log      []string
	browsers map[string]uint64 // tenant/agent → the connection that opened its session
}

func (f *fakeCalls) add(format string, a ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := fmt.Sprintf(format, a...)
	f.log = append(f.log, s)
	if strings.Contains(s, "missing") {
		return fmt.Errorf("pbx: no such call: %w", errs.ErrNotFound)
	}
	if strings.Contains(s, "boom") {
		return errors.New("pbx: socket exploded")
	}
	return nil
}

func (f *fakeCalls) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.log
	f.log = nil
	return out
}

func (f *fakeCalls) Answer(_ context.Context, tenant, agent, call string) error {
	return f.add("answer %s %s %s", tenant, agent, call)
}
func (f *fakeCalls) Hangup(_ context.Context, tenant, agent, call string) error {
	return f.add("hangup %s %s %s", tenant, agent, call)
}
func (f *fakeCalls) Dial(_ context.Context, tenant, agent, to, callerID string) (string, error) {
	return "out-" + to, f.add("dial %s %s %s %s", tenant, agent, to, callerID)
}
func (f *fakeCalls) Hold(_ context.Context, tenant, agent, call string) error {
	return f.add("hold %s %s %s", tenant, agent, call)
}
func (f *fakeCalls) Unhold(_ context.Context, tenant, agent, call string) error {
	return f.add("unhold %s %s %s", tenant, agent, call)
}
func (f *fakeCalls) Transfer(_ context.Context, tenant, agent, call, to string, attended bool) error {
	return f.add("transfer %s %s %s %s attended=%v", tenant, agent, call, to, attended)
}
func (f *fakeCalls) Conference(_ context.Context, tenant, agent, call, to string) error {
	return f.add("conference %s %s %s %s", tenant, agent, call, to)
}
func (f *fakeCalls) Consult(_ context.Context, tenant, agent, call, to string) error {
	return f.add("consult %s %s %s %s", tenant, agent, call, to)
}
func (f *fakeCalls) ConsultCancel(_ context.Context, tenant, agent, call string) error {
	return f.add("consult_cancel %s %s %s", tenant, agent, call)
}
func (f *fakeCalls) DTMF(_ context.Context, tenant, agent, call, digits string) error {
	return f.add("dtmf %s %s %s %s", tenant, agent, call, digits)
}
func (f *fakeCalls) Monitor(_ context.Context, tenant, sup, agent string, mode cti.MonitorMode) (string, error) {
	return "mon-" + agent, f.add("monitor %s %s %s %s", tenant, sup, agent, mode)
}

// exampleAnswer stands for the PBX's SDP answer in the documentation.
const exampleAnswer = "v=0\r\no=- 7130931583291207937 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-lite\r\na=fingerprint:sha-256 3C:4A:…\r\na=group:BUNDLE 0\r\nm=audio 3479 UDP/TLS/RTP/SAVPF 8\r\nc=IN IP4 203.0.113.10\r\na=setup:passive\r\na=mid:0\r\na=ice-ufrag:QxQa…\r\na=ice-pwd:…\r\na=rtcp-mux\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\na=candidate:1 1 udp 2130706431 203.0.113.10 3479 typ host\r\na=end-of-candidates\r\n"

func (f *fakeCalls) Open(_ context.Context, tenant, agent string, owner uint64, offer string) (string, error) {
	if err := f.add("webrtc.open %s %s", tenant, agent); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.browsers == nil {
		f.browsers = map[string]uint64{}
	}
	f.browsers[tenant+"/"+agent] = owner
	return exampleAnswer, nil
}
func (f *fakeCalls) Close(_ context.Context, tenant, agent string) error {
	f.mu.Lock()
	delete(f.browsers, tenant+"/"+agent)
	f.mu.Unlock()
	return f.add("webrtc.close %s %s", tenant, agent)
}
func (f *fakeCalls) Detach(owner uint64) {
	f.mu.Lock()
	var gone []string
	for k, o := range f.browsers {
		if o == owner {
			gone = append(gone, k)
		}
	}
	f.mu.Unlock()
	for _, k := range gone {
		_ = f.add("webrtc.detach %s", k)
	}
}
func (f *fakeCalls) Attached(tenant, agent string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.browsers[tenant+"/"+agent]
	return ok
}

// env is a hub on loopback with a real ACD behind it.
type env struct {
	t       *testing.T
	ctx     context.Context
	hub     *cti.Hub
	srv     *httptest.Server
	url     string
	acd     *acd.ACD
	clk     *acdtest.Clock
	dialer  *acdtest.Dialer
	adapter *cti.Adapter
	calls   *fakeCalls
}

func newEnv(t *testing.T, cfg cti.Config) *env {
	t.Helper()
	return newEnvListener(t, cfg, nil)
}

func newEnvListener(t *testing.T, cfg cti.Config, wrap func(net.Listener) net.Listener) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clk: acdtest.NewClock(t0), dialer: &acdtest.Dialer{}, calls: &fakeCalls{}}
	if cfg.Epoch == "" {
		cfg.Epoch = "ep1"
	}
	a, err := acd.New(acd.Deps{Dialer: e.dialer, Events: acdSink{e}, Clock: e.clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.acd = a
	hub, err := cti.NewHub(cfg, cti.Deps{Auth: testTokens(), Agents: a, Calls: e.calls, Monitoring: e.calls, Browser: e.calls,
		Now: e.clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.hub = hub
	e.adapter = cti.NewAdapter(hub, a, nil)
	e.adapter.SetDevices(e.calls)
	ag := make([]acd.AgentConfig, 3)
	for i := range ag {
		ag[i] = acd.AgentConfig{ID: fmt.Sprintf("a%d", i+1), Name: fmt.Sprintf("Agent %d", i+1), Endpoint: fmt.Sprintf("100%d", i+1)}
	}
	if err := a.AddTenant(e.ctx, acd.TenantConfig{Tenant: "demo", Agents: ag, Location: time.UTC, ReasonCodes: []acd.ReasonCode{{Code: "lunch"}, {Code: "meeting", Max: time.Hour}},
		Queues: []acd.QueueConfig{{ID: "hotline", Name: "12345 热线", Agents: []string{"a1", "a2", "a3"}, WrapUp: 30 * time.Second}}}); err != nil {
		t.Fatal(err)
	}
	// Timers fire at their own time: each one's work is done before the
	// clock moves on.
	e.clk.Settle = func() { _, _ = a.Agents(e.ctx, "demo") }
	e.srv = httptest.NewUnstartedServer(hub)
	if wrap != nil {
		e.srv.Listener = wrap(e.srv.Listener)
	}
	e.srv.Start()
	e.url = "ws" + strings.TrimPrefix(e.srv.URL, "http")
	t.Cleanup(func() {
		hub.Close()
		e.srv.Close()
		a.Close()
	})
	return e
}

// acdSink forwards ACD events to the adapter (set after the ACD exists).
type acdSink struct{ e *env }

func (s acdSink) ACDEvent(ev acd.Event) {
	if s.e.adapter != nil {
		s.e.adapter.ACDEvent(ev)
	}
}

func (e *env) dial(token string) *client.Client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, e.url, client.Options{Token: token})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func (e *env) cctx() context.Context {
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

// next reads one event (or fails after a generous deadline, which only a
// broken hub reaches).
func next(t *testing.T, c *client.Client) protocol.Envelope {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatalf("connection ended: %v", c.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return protocol.Envelope{}
}

// nextOf skips events until one of type typ.
func nextOf(t *testing.T, c *client.Client, typ string) protocol.Envelope {
	t.Helper()
	for {
		if ev := next(t, c); ev.Type == typ {
			return ev
		}
	}
}

// quiet asserts no event is waiting after a round trip (a ping reply comes
// after everything the hub queued before it).
func quiet(t *testing.T, c *client.Client) {
	t.Helper()
	if err := c.Do(context.Background(), protocol.CmdPing, nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-c.Events():
		t.Fatalf("unexpected event %s seq %d: %s", ev.Type, ev.Seq, ev.Data)
	default:
	}
}

func codeOf(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// smallBuffers shrinks the hub's socket send buffers, so a client that
// stops reading fills them (and then the hub's queue) quickly.
func smallBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// smallDialer dials with a small receive buffer.
func smallDialer() *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}
}
