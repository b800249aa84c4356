package b2bua

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/registrar"
)

// Target is one place an extension can be reached.
type Target struct {
	URI       sip.Uri        // the registered Contact
	Dest      netip.AddrPort // where its REGISTER came from (NAT-aware)
	Transport string
	// Flow says Dest is the connection the phone registered over (TCP,
	// TLS, WS), which requests must use while it is open and which is
	// never dialled: the phone may listen nowhere we could reach.
	Flow bool
	// Encrypted says the contact's media is encrypted beyond the relay by
	// other means (a browser's DTLS-SRTP session behind an in-process SIP
	// endpoint): an extension that requires SRTP is met without SDES.
	Encrypted bool
}

// Locator finds extensions. known is false for extensions that do not exist.
type Locator interface {
	Locate(tenant, ext string) (targets []Target, known bool)
}

// Authenticator challenges and checks digest credentials.
type Authenticator interface {
	Check(ctx context.Context, req *sip.Request, tenant string, proxy bool) (string, registrar.Outcome)
	Challenge(req *sip.Request, proxy, stale bool) *sip.Response
}

// TenantResolver maps a SIP domain to a tenant.
type TenantResolver interface {
	TenantFor(host string) (string, bool)
}

// Relay allocates media bridges.
type Relay interface {
	NewBridge() (*media.Bridge, error)
}

// CDRSink stores finished calls' CDRs and the journal of calls in
// progress (what a crash would otherwise lose), batch by batch.
type CDRSink interface {
	WriteCallLog(ctx context.Context, l pbxstore.CallLog) error
}

// sipClient is what the B2BUA needs of sipgo's client to send: a request
// in a new client transaction (its responses read from the transaction),
// and an ACK or other request written outside any. *sipgo.Client is one;
// the unit tests drive calls with a fake that records what is sent and
// lets them answer it. What the B2BUA receives comes in through its
// handlers with a sip.ServerTransaction, an interface already.
type sipClient interface {
	TransactionRequest(ctx context.Context, req *sip.Request, options ...sipgo.ClientRequestOption) (sip.ClientTransaction, error)
	WriteRequest(req *sip.Request, options ...sipgo.ClientRequestOption) error
}

var _ sipClient = (*sipgo.Client)(nil)

// responseWriter sends a response outside any transaction, through the
// transport: *sipgo.Server is one.
type responseWriter interface {
	WriteResponse(res *sip.Response) error
}

var _ responseWriter = (*sipgo.Server)(nil)

// Config bounds calls and names our SIP identity.
type Config struct {
	Host string // our address for Contact (the SIP listener's host)
	Port int    // our SIP port
	// TransportPorts are the listeners' ports by lower-case transport
	// ("tls", "wss") where they differ from Port: a Contact for a TLS
	// dialog must name the TLS port, or the ACK and BYE go elsewhere.
	TransportPorts map[string]int
	UDPLocal       string // the UDP listener's address, so requests leave from it
	Codecs         []string
	RingTimeout    time.Duration
	MaxDuration    time.Duration
	MediaTimeout   time.Duration
	UserAgent      string
	Limits         Limits // caps on the calls an extension, tenant or address holds
}

// Manager is the B2BUA: it owns every call in progress.
type Manager struct {
	cfg     Config
	client  sipClient
	resp    responseWriter // nil: none (unit tests)
	auth    Authenticator
	loc     Locator
	tenants TenantResolver
	relay   Relay
	cdrs    *cdrWriter
	admit   *admission
	log     *slog.Logger
	now     func() time.Time
	laddr   sip.Addr

	mu       sync.Mutex
	byCallID map[string]*call // both legs' Call-IDs
	calls    map[*call]struct{}
	draining atomic.Bool
	byes     answeredByes
	idle     chan struct{} // closed and replaced when the last call ends during a drain

	m           metrics
	observers   []observer
	apps        AppRouter
	supervision Supervision
	trunks      Trunks
	trunkLocal  TrunkLocal
	security    MediaSecurity // SRTP policies (srtp.go); nil: every extension optional
	flows       Flows         // open stream connections (flow.go); nil: all open
}

type metrics struct {
	active  prometheus.Gauge
	setups  *prometheus.CounterVec
	ended   *prometheus.CounterVec
	invites *prometheus.CounterVec
	refused *prometheus.CounterVec
}

// New returns a manager. Call Run to start its CDR writer.
func New(cfg Config, client *sipgo.Client, auth Authenticator, loc Locator, tenants TenantResolver, relay Relay, sink CDRSink, log *slog.Logger, reg prometheus.Registerer) *Manager {
	m := &Manager{
		cfg: cfg, auth: auth, loc: loc, tenants: tenants, relay: relay, log: log, now: time.Now,
		byCallID: map[string]*call{}, calls: map[*call]struct{}{}, admit: newAdmission(cfg.Limits),
		m: metrics{
			active:  prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "yimen", Name: "calls_active", Help: "Calls in progress."}),
			setups:  prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yimen", Name: "call_setups_total", Help: "Call attempts by outcome."}, []string{"disposition"}),
			ended:   prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yimen", Name: "calls_ended_total", Help: "Calls ended by cause."}, []string{"cause"}),
			invites: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yimen", Name: "sip_invites_total", Help: "Initial INVITEs by response class."}, []string{"code"}),
			refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yimen", Name: "call_refusals_total", Help: "Calls refused by a call limit, by the limit (extension, source, tenant, pool_reserve)."}, []string{"reason"}),
		},
	}
	if client != nil { // kept nil, not a typed nil, for the tests to fill
		m.client = client
	}
	m.cdrs = newCDRWriter(sink, log, m.now)
	m.AddObserver(m.cdrs) // first: the journal has the answer before others act on it
	if reg != nil {
		reg.MustRegister(m.m.active, m.m.setups, m.m.ended, m.m.invites, m.m.refused)
	}
	if cfg.UDPLocal != "" {
		if ap, err := netip.ParseAddrPort(cfg.UDPLocal); err == nil {
			m.laddr = sip.Addr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port())}
		}
	}
	return m
}

// Register installs the B2BUA's handlers on srv.
func (m *Manager) Register(srv *sipgo.Server) {
	srv.OnInvite(m.onInvite)
	srv.OnAck(m.onAck)
	srv.OnBye(m.onBye)
	srv.OnCancel(m.onCancel)
	srv.OnInfo(m.onInfo)
	srv.OnOptions(m.onOptions)
	srv.OnRefer(m.onRefer)
	srv.OnUpdate(m.onUpdate)
}

// Run writes CDRs until ctx ends, then flushes them.
func (m *Manager) Run(ctx context.Context) {
	go m.supervise(ctx)
	m.cdrs.run(ctx)
}

// Active returns the number of calls in progress.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// Drain stops new calls (503) and waits for calls in progress to finish until
// ctx ends; calls still up then are hung up on both legs.
func (m *Manager) Drain(ctx context.Context) {
	m.draining.Store(true)
	for {
		m.mu.Lock()
		n := len(m.calls)
		if m.idle == nil {
			m.idle = make(chan struct{})
		}
		idle := m.idle
		m.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-idle:
		case <-ctx.Done():
			m.hangupAll(CauseShutdown)
			return
		}
	}
}

func (m *Manager) hangupAll(cause Cause) {
	m.mu.Lock()
	list := make([]*call, 0, len(m.calls))
	for c := range m.calls {
		list = append(list, c)
	}
	m.mu.Unlock()
	for _, c := range list {
		c.hangup("system", cause)
	}
}

func (m *Manager) track(c *call, callIDs ...string) {
	m.cdrs.opened(pbxstore.OpenCall{ID: c.id, Tenant: c.tenant, Caller: c.caller, Callee: c.callee, ACallID: c.a.callID, Start: c.start})
	m.mu.Lock()
	m.calls[c] = struct{}{}
	for _, id := range callIDs {
		m.byCallID[id] = c
	}
	n := len(m.calls)
	m.mu.Unlock()
	m.m.active.Set(float64(n))
}

func (m *Manager) alias(c *call, callID string) {
	m.mu.Lock()
	m.byCallID[callID] = c
	m.mu.Unlock()
}

func (m *Manager) untrack(c *call, callIDs ...string) {
	m.mu.Lock()
	delete(m.calls, c)
	for _, id := range callIDs {
		if m.byCallID[id] == c {
			delete(m.byCallID, id)
		}
	}
	n := len(m.calls)
	if n == 0 && m.idle != nil {
		close(m.idle)
		m.idle = nil
	}
	m.mu.Unlock()
	m.m.active.Set(float64(n))
}

func (m *Manager) lookup(callID string) *call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byCallID[callID]
}

func (m *Manager) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	m.decorate(res)
	if err := tx.Respond(res); err != nil {
		m.log.Debug("respond failed", "code", code, "err", err)
	}
}

func (m *Manager) decorate(res *sip.Response) {
	if m.cfg.UserAgent != "" {
		res.AppendHeader(sip.NewHeader("Server", m.cfg.UserAgent))
	}
}

func (m *Manager) contactURI(transport string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: "b2bua", Host: m.cfg.Host, Port: m.cfg.Port}
	if p, ok := m.cfg.TransportPorts[strings.ToLower(transport)]; ok {
		u.Port = p
	}
	if t := strings.ToLower(transport); t != "" && t != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", t)
	}
	return u
}

// send sends a request of dialog d (nil: none of ours) in a new client
// transaction, from our listener.
func (m *Manager) send(ctx context.Context, d *dialog, req *sip.Request) (sip.ClientTransaction, error) {
	if err := m.flowCheck(d, req); err != nil {
		return nil, err
	}
	frame(req)
	m.bindLocal(req)
	return m.client.TransactionRequest(ctx, req, m.viaOption(req))
}

// write sends a request of dialog d outside any transaction (an ACK).
func (m *Manager) write(d *dialog, req *sip.Request) error {
	if err := m.flowCheck(d, req); err != nil {
		return err
	}
	frame(req)
	m.bindLocal(req)
	return m.client.WriteRequest(req, m.viaOption(req))
}

// viaOption adds our Via unless the request has its own (a carrier
// dialog's, naming the carrier-facing listener).
func (m *Manager) viaOption(req *sip.Request) sipgo.ClientRequestOption {
	if req.Via() != nil {
		return func(*sipgo.Client, *sip.Request) error { return nil }
	}
	return m.addVia
}

// addVia is sipgo's Via with the sent-by port of the listener of the
// request's transport: a phone on TLS answers to the Via's port (libre
// opens a connection there), and the UDP/TCP port does not speak TLS.
func (m *Manager) addVia(c *sipgo.Client, req *sip.Request) error {
	if err := sipgo.ClientRequestAddVia(c, req); err != nil {
		return err
	}
	if p, ok := m.cfg.TransportPorts[strings.ToLower(req.Transport())]; ok {
		if v := req.Via(); v != nil {
			v.Port = p
		}
	}
	return nil
}

// frame gives a request without a body its Content-Length: 0. Over a
// stream the header is what ends one message and starts the next (RFC 3261
// §20.14), and a phone that cannot frame our ACK or BYE drops the
// connection: libre (baresip) closed its TLS registration connection on
// the first ACK that lacked it.
func frame(req *sip.Request) {
	if req.ContentLength() == nil {
		req.SetBody(req.Body())
	}
}

func (m *Manager) bindLocal(req *sip.Request) {
	if m.laddr.IP != nil && req.Laddr.IP == nil && strings.EqualFold(req.Transport(), "udp") {
		req.Laddr = m.laddr
	}
}

func (m *Manager) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, REGISTER"))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Supported", "replaces"))
	m.decorate(res)
	_ = tx.Respond(res)
}

func (m *Manager) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	// A CANCEL that matched a pending INVITE was handled by the transaction layer.
	m.reply(tx, req, 481, "Call/Transaction Does Not Exist")
}

// HandleStrayResponse re-ACKs 2xx retransmissions whose INVITE transaction
// already finished (our ACK was lost); wire it as the transaction layer's
// unhandled-response handler.
func (m *Manager) HandleStrayResponse(res *sip.Response) {
	if res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE || !res.IsSuccess() || res.CallID() == nil {
		return
	}
	c := m.lookup(res.CallID().Value())
	if c == nil {
		return
	}
	c.reack(res)
}

// SetResponseWriter gives the Manager the transport to send a response
// through once its transaction is gone (a 2xx retransmitted after the
// caller's INVITE transaction left its Accepted state). Call it before the
// first call.
func (m *Manager) SetResponseWriter(w responseWriter) { m.resp = w }
