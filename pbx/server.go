package pbx

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipstateless"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/guard"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/registrar"
	"github.com/yimen/yimen/pbx/trunk"
	"github.com/yimen/yimen/pbx/webrtc"
)

// Deps are what the PBX is given rather than builds.
type Deps struct {
	Store *pbxstore.Store
	Log   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BanAuditor records the guard's automatic bans (the audit chain); nil:
	// only the guard's log line.
	BanAuditor guard.BanAuditor
}

// Server is a running PBX.
type Server struct {
	cfg       config.Config
	log       *slog.Logger
	store     *pbxstore.Store
	reg       *prometheus.Registry
	guard     *guard.Guard
	dir       *directory
	regr      *registrar.Registrar
	relay     *media.Relay
	calls     *b2bua.Manager
	ua        *sipgo.UserAgent
	sip       *sipgo.Server
	udp       net.PacketConn
	trunkUDP  net.PacketConn // the carrier-facing listener (sip.trunk_udp), if any
	trunks    *trunk.Manager
	client    *sipgo.Client
	streams   []streamListener
	now       func() time.Time
	sipHost   string
	sipPort   int
	queueRecs atomic.Pointer[QueueRecords]
	browsers  *webrtc.Manager // nil when webrtc.disabled
}

type streamListener struct {
	network string
	ln      net.Listener
}

// New builds the PBX and binds its sockets; Run serves.
func New(ctx context.Context, cfg config.Config, deps Deps) (*Server, error) {
	s := &Server{cfg: cfg, log: deps.Log, store: deps.Store, reg: prometheus.NewRegistry(), now: deps.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ok := false
	defer func() {
		if !ok {
			s.closeListeners()
			if s.browsers != nil {
				s.browsers.Shutdown()
			}
		}
	}()

	var err error
	gcfg := guard.DefaultConfig()
	gcfg.RatePerSec, gcfg.Burst = cfg.Guard.RatePerSec, cfg.Guard.Burst
	gcfg.MaxMessageBytes = cfg.SIP.MaxMessageBytes
	gcfg.AuthFailuresPerIP, gcfg.AuthFailuresPerAccount = cfg.Guard.AuthFailuresPerIP, cfg.Guard.AuthFailuresPerAccount
	gcfg.FailureWindow, gcfg.BanDuration, gcfg.FloodBan = cfg.Guard.FailureWindow, cfg.Guard.BanDuration, cfg.Guard.FloodBan
	if s.trunks, err = s.compileTrunks(cfg); err != nil {
		return nil, err
	}
	// A carrier's address carries every caller's calls: rate-limiting or
	// banning it per IP would cut a tenant off the public network.
	gcfg.AllowCIDRs = append(cfg.Guard.AllowPrefixes(), s.trunks.Sources()...)
	if len(cfg.Guard.ScannerUserAgents) > 0 {
		gcfg.ScannerUserAgents = cfg.Guard.ScannerUserAgents
	}
	if s.guard, err = guard.New(ctx, gcfg, deps.Store, s.log.With("component", "guard"), s.reg, s.now); err != nil {
		return nil, err
	}
	if deps.BanAuditor != nil {
		s.guard.SetBanAuditor(deps.BanAuditor)
	}
	if s.dir, err = newDirectory(cfg); err != nil {
		return nil, err
	}
	accounts, err := deps.Store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range accounts {
		s.dir.setSecret(a.Tenant, a.Ext, a.Secret)
	}
	auth, err := registrar.NewAuthenticator(cfg.SIP.Realm, cfg.SIP.DigestAlgs, cfg.SIP.NonceTTL, s.dir, s.guard, s.log, s.now)
	if err != nil {
		return nil, err
	}
	s.regr, err = registrar.New(ctx, registrar.Config{
		MinExpires: cfg.SIP.MinExpires, MaxExpires: cfg.SIP.MaxExpires, DefaultExpires: cfg.SIP.DefaultExpires, MaxContacts: cfg.SIP.MaxContacts,
		Contacts: registrar.ContactPolicy{Networks: cfg.SIP.ContactPrefixes(), Loopback: cfg.SIP.OnLoopback()},
	}, auth, deps.Store, s.dir, s.log.With("component", "registrar"), s.reg, s.now)
	if err != nil {
		return nil, err
	}
	bindIP, err := parseIP(cfg.RTP.BindIP)
	if err != nil {
		return nil, err
	}
	s.relay, err = media.NewRelay(media.Config{BindIP: bindIP, PortMin: cfg.RTP.PortMin, PortMax: cfg.RTP.PortMax, Kernel: cfg.RTP.KernelForward}, s.log.With("component", "media"), media.NewMetrics(s.reg))
	if err != nil {
		return nil, err
	}

	if err := s.listenRetry(cfg); err != nil {
		return nil, err
	}
	var mgr *b2bua.Manager
	ender := &legHangup{}
	if s.browsers, err = newBrowsers(cfg, bindIP, s.sipIP(), s.relay, ender, s.log.With("component", "webrtc")); err != nil {
		return nil, err
	}
	setAcceptedTimers()
	s.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(cfg.SIP.UserAgent),
		sipgo.WithUserAgentHostname(s.sipHost),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
			if mgr != nil {
				mgr.HandleStrayResponse(r)
			}
		})),
	)
	if err != nil {
		return nil, err
	}
	s.sip, err = sipgo.NewServer(s.ua, sipgo.WithServerLogger(s.log.With("component", "sip")))
	if err != nil {
		return nil, err
	}
	client, err := sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.sipHost), sipgo.WithClientPort(s.sipPort))
	if err != nil {
		return nil, err
	}
	s.client = client
	if err := s.closeInterruptedCalls(ctx); err != nil {
		return nil, err
	}
	if err := s.listenTrunks(cfg); err != nil {
		return nil, err
	}
	udpLocal := ""
	if s.udp != nil {
		udpLocal = s.udp.LocalAddr().String()
	}
	mgr = b2bua.New(b2bua.Config{
		Host: s.sipHost, Port: s.sipPort, UDPLocal: udpLocal, Codecs: cfg.RTP.Codecs, TransportPorts: s.transportPorts(),
		RingTimeout: cfg.Calls.RingTimeout, MaxDuration: cfg.Calls.MaxDuration, MediaTimeout: cfg.Calls.MediaTimeout,
		UserAgent: cfg.SIP.UserAgent,
		Limits: b2bua.Limits{
			PerExtension: cfg.Calls.MaxPerExtension, PerTenant: cfg.Calls.MaxPerTenant, PerSource: cfg.Calls.MaxPerSource,
			Bridges: cfg.RTP.Bridges(), Reserve: cfg.Calls.Reserve(cfg.RTP.Bridges()),
		},
	}, client, auth, locator{dir: s.dir, reg: s.regr, alive: s.connAlive, browsers: s.browsers, log: s.log.With("component", "registrar")}, s.dir, s.relay, deps.Store, s.log.With("component", "b2bua"), s.reg)
	s.calls = mgr
	mgr.SetResponseWriter(s.sip)
	if !s.trunks.Empty() {
		mgr.SetTrunks(s.trunks, s.trunkLocal())
	}
	ender.m = mgr
	mgr.SetMediaSecurity(s.dir)
	mgr.SetFlows(flowCheck(s.connAlive))
	mgr.Register(s.sip)
	s.sip.OnRegister(s.regr.HandleRegister)
	s.sip.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil))
	})
	ok = true
	return s, nil
}

// closeInterruptedCalls gives the calls a crash left in the call journal
// their CDRs (disposition "interrupted"), before any new call is taken.
func (s *Server) closeInterruptedCalls(ctx context.Context) error {
	closed, err := s.store.CloseInterrupted(ctx)
	if err != nil {
		return fmt.Errorf("pbx: close interrupted calls: %w", err)
	}
	if len(closed) > 0 {
		s.log.Warn("calls interrupted by a stop without drain closed", "cdrs", len(closed), "ended_at", closed[0].End.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// sipReadBuffer is the SIP/UDP socket's receive buffer (SO_RCVBUF).
const sipReadBuffer = 4 << 20

// listenRetry binds the listeners; when the UDP port is picked by the OS (port
// 0) and TCP cannot have the same number, it tries again with another port.
func (s *Server) listenRetry(cfg config.Config) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.listen(cfg); err == nil {
			return nil
		}
		s.closeListeners()
		s.udp, s.streams, s.sipHost, s.sipPort = nil, nil, "", 0
		if !strings.HasSuffix(cfg.SIP.UDP, ":0") {
			return err
		}
	}
	return err
}

func (s *Server) listen(cfg config.Config) error {
	if cfg.SIP.UDP != "" {
		pc, err := net.ListenPacket("udp", cfg.SIP.UDP)
		if err != nil {
			return fmt.Errorf("pbx: sip udp listen %s: %w", cfg.SIP.UDP, err)
		}
		if uc, ok := pc.(*net.UDPConn); ok {
			// The default 208 KB holds about a hundred datagrams: when the CPU is
			// saturated (1000 recorded calls hanging up at 100/s, each finishing
			// its file) the reader falls behind for a few hundred ms, the kernel
			// drops BYEs and their retransmissions, and callers give up. The
			// kernel caps this at net.core.rmem_max.
			_ = uc.SetReadBuffer(sipReadBuffer)
		}
		s.udp = pc
		s.setSIPAddr(pc.LocalAddr())
	}
	add := func(network, addr string, tlsConf *tls.Config) error {
		if addr == "" {
			return nil
		}
		// TCP shares the UDP port when asked for port 0 so one port serves both.
		if s.udp != nil && network == "tcp" {
			if h, p, _ := net.SplitHostPort(addr); p == "0" {
				addr = net.JoinHostPort(h, strconv.Itoa(s.sipPort))
			}
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("pbx: sip %s listen %s: %w", network, addr, err)
		}
		if tlsConf != nil {
			ln = tls.NewListener(ln, tlsConf)
		}
		if s.sipPort == 0 {
			s.setSIPAddr(ln.Addr())
		}
		s.streams = append(s.streams, streamListener{network: network, ln: ln})
		return nil
	}
	var tlsConf *tls.Config
	if cfg.SIP.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SIP.TLSCert, cfg.SIP.TLSKey)
		if err != nil {
			return fmt.Errorf("pbx: sip.tls_cert: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	for _, l := range []struct {
		network, addr string
		tls           *tls.Config
	}{{"tcp", cfg.SIP.TCP, nil}, {"tls", cfg.SIP.TLS, tlsConf}, {"ws", cfg.SIP.WS, nil}, {"wss", cfg.SIP.WSS, tlsConf}} {
		if err := add(l.network, l.addr, l.tls); err != nil {
			return err
		}
	}
	if cfg.SIP.ExternalHost != "" {
		s.sipHost = cfg.SIP.ExternalHost
	}
	return nil
}

func (s *Server) setSIPAddr(a net.Addr) {
	host, port, _ := net.SplitHostPort(a.String())
	if s.sipHost == "" {
		s.sipHost = host
	}
	s.sipPort, _ = strconv.Atoi(port)
}

// SIPAddr is the host:port the SIP listeners answer on.
func (s *Server) SIPAddr() string { return net.JoinHostPort(s.sipHost, strconv.Itoa(s.sipPort)) }

// Registry exposes the metrics registry (tests read counters from it).
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// ActiveCalls is the number of calls in progress.
func (s *Server) ActiveCalls() int { return s.calls.Active() }

// Run serves SIP until ctx ends, then drains calls for up to the
// configured drain timeout and flushes registrations and CDRs.
func (s *Server) Run(ctx context.Context) error {
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(bg) }()
	}
	run(s.guard.Run)
	run(s.regr.Run)
	run(s.calls.Run)
	if !s.trunks.Empty() {
		local := s.trunkLocal()
		run(func(ctx context.Context) {
			s.trunks.Run(ctx, s.client, trunk.Local{Host: local.Host, Port: local.Port, Bind: local.Bind})
		})
	}
	if s.browsers != nil {
		run(s.browsers.Run)
	}

	errc := make(chan error, 8)
	if s.udp != nil {
		pc := s.registerFastPath(s.guard.WrapPacketConn(s.udp))
		go func() { errc <- s.sip.ServeUDP(pc) }()
	}
	if s.trunkUDP != nil {
		pc := s.guard.WrapCarrierPacketConn(s.trunkUDP, s.trunks.Sources())
		go func() { errc <- s.sip.ServeUDP(pc) }()
	}
	for _, l := range s.streams {
		ln := s.guard.WrapListener(l.ln)
		switch l.network {
		case "tcp":
			go func() { errc <- s.sip.ServeTCP(ln) }()
		case "tls":
			go func() { errc <- s.sip.ServeTLS(ln) }()
		case "ws":
			go func() { errc <- s.sip.ServeWS(ln) }()
		case "wss":
			go func() { errc <- s.sip.ServeWSS(ln) }()
		}
	}
	s.log.Info("pbx started", "sip", s.SIPAddr(), "rtp", fmt.Sprintf("%s:%d-%d", s.cfg.RTP.BindIP, s.cfg.RTP.PortMin, s.cfg.RTP.PortMax))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		runErr = err
		s.log.Error("listener failed", "err", err)
	}

	// Drain: refuse new calls, let calls in progress finish.
	s.log.Info("draining calls", "active", s.calls.Active(), "timeout", s.cfg.Calls.DrainTimeout.String())
	dctx, cancel := context.WithTimeout(context.Background(), s.cfg.Calls.DrainTimeout)
	s.calls.Drain(dctx)
	cancel()
	time.Sleep(200 * time.Millisecond) // let final BYE transactions leave
	stopBG()
	wg.Wait()
	s.closeListeners()
	_ = s.ua.Close()
	_ = s.relay.Close()
	s.log.Info("pbx stopped")
	return runErr
}

// registerFastPath answers UDP REGISTERs without a sipgo transaction or
// goroutine: at thousands a second those cost more than the registrar's
// own work (docs/BENCHMARKS.md, "REGISTER without a transaction"). The
// guard's filter has already run; retransmissions get the answer again.
func (s *Server) registerFastPath(pc net.PacketConn) net.PacketConn {
	fast := sipstateless.Wrap(pc, s.regr.Answer, sipstateless.Config{Method: sip.REGISTER}, s.log.With("component", "sip"))
	for name, help := range map[string]string{
		"resent":    "UDP REGISTER retransmissions answered again from the recent answers.",
		"in_flight": "UDP REGISTER retransmissions dropped while the first copy was being answered.",
		"malformed": "UDP REGISTERs dropped as unparsable or refused with 400 before the registrar.",
	} {
		_ = s.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "yimen", Name: "sip_register_stateless_" + name + "_total", Help: help,
		}, func() float64 {
			st := fast.Stats()
			switch name {
			case "resent":
				return float64(st.Resent)
			case "in_flight":
				return float64(st.InFlight)
			}
			return float64(st.Malformed)
		}))
	}
	return fast
}

func (s *Server) closeListeners() {
	if s.udp != nil {
		_ = s.udp.Close()
	}
	if s.trunkUDP != nil {
		_ = s.trunkUDP.Close()
	}
	for _, l := range s.streams {
		_ = l.ln.Close()
	}
}

// AddCallObserver registers a listener to call events (recorder, CTI)
// before Run: o implements one or more of the callevent observer
// interfaces.
func (s *Server) AddCallObserver(o any) { s.calls.AddObserver(o) }

// Relay exposes the media relay (taps for recording and monitoring).
func (s *Server) Relay() *media.Relay { return s.relay }

// connAlive says a stream connection to addr (one a phone opened to us:
// its flow) is still open. The pool counts references: the one GetConnection
// takes is given back at once.
func (s *Server) connAlive(network, addr string) bool {
	c, err := s.ua.TransportLayer().GetConnection(network, addr)
	if err != nil || c == nil {
		return false
	}
	_, _ = c.TryClose()
	return true
}

// flowCheck adapts connAlive to the B2BUA's Flows.
type flowCheck func(network, addr string) bool

func (f flowCheck) Open(network, addr string) bool { return f(network, addr) }

// SetApps routes dialled numbers to applications (IVR flows).
func (s *Server) SetApps(r b2bua.AppRouter) { s.calls.SetApps(r) }

// Calls lists the calls in progress.
func (s *Server) Calls() []b2bua.CallInfo { return s.calls.Calls() }

// Store is the PBX's persistence (CDRs, surveys, voicemail).
func (s *Server) Store() *pbxstore.Store { return s.store }

// CallManager is the B2BUA's calls in progress: call control for the
// contact centre (originate, transfer, hold, supervision).
func (s *Server) CallManager() *b2bua.Manager { return s.calls }

// ListenAddrs maps each SIP transport ("udp", "tcp", "tls", "ws", "wss") to its bound address.
func (s *Server) ListenAddrs() map[string]string {
	out := map[string]string{}
	if s.udp != nil {
		out["udp"] = s.udp.LocalAddr().String()
	}
	for _, l := range s.streams {
		out[l.network] = l.ln.Addr().String()
	}
	return out
}

// transportPorts are the listeners' ports by transport, for Contacts.
func (s *Server) transportPorts() map[string]int {
	out := map[string]int{}
	for network, addr := range s.ListenAddrs() {
		if _, port, err := net.SplitHostPort(addr); err == nil {
			out[network], _ = strconv.Atoi(port)
		}
	}
	return out
}
