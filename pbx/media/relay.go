package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/yimen/yimen/internal/errs"
)

// Relay owns the port range and the bridges allocated from it.
type Relay struct {
	cfg   Config
	log   *slog.Logger
	m     *Metrics
	pool  *portPool
	inUse atomic.Int64 // bound UDP ports, RTP and RTCP

	locals    localPeers  // addresses the PBX answers for itself (local_peer.go)
	kernel    kernelFlows // nil: the relay forwards every packet itself (offload.go)
	kstop     chan struct{}
	kdone     chan struct{}
	pollers   []*poller
	next      atomic.Uint32 // round-robin over pollers
	closeOnce sync.Once

	mu      sync.Mutex
	bridges map[*Bridge]struct{}
	closed  bool
}

// NewRelay checks cfg (errors wrap ErrInvalid) and prepares the port pool;
// no socket is opened until NewBridge. A nil log discards, nil m counts nowhere.
func NewRelay(cfg Config, log *slog.Logger, m *Metrics) (*Relay, error) {
	first, pairs, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	cfg.BindIP = cfg.BindIP.Unmap()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	r := &Relay{
		cfg:     cfg,
		log:     log,
		m:       m,
		pool:    newPortPool(first, pairs),
		bridges: make(map[*Bridge]struct{}),
	}
	// One poller per processor: each reads its share of the bridges.
	for range max(1, runtime.GOMAXPROCS(0)) {
		p, err := newPoller(log)
		if err != nil {
			r.closePollers()
			return nil, err
		}
		r.pollers = append(r.pollers, p)
	}
	if cfg.Kernel {
		r.openKernel(pairs)
	}
	return r, nil
}

// openKernel starts the kernel path, or says why not and goes on without.
func (r *Relay) openKernel(pairs int) {
	if _, ok := readKernelView(r.cfg.BindIP); !ok {
		r.log.Warn("media: in-kernel forwarding needs the relay bound to one IPv4 address; forwarding in the relay", "bind_ip", r.cfg.BindIP)
		return
	}
	k, err := openKernel(pairs)
	if err != nil {
		r.log.Warn("media: in-kernel forwarding unavailable; forwarding in the relay", "err", err)
		return
	}
	r.kernel = k
	r.kstop, r.kdone = make(chan struct{}), make(chan struct{})
	go r.kernelLoop(r.kstop, r.kdone)
	r.m.relayedSet.follow(r, true)
	r.log.Info("media: in-kernel forwarding on for calls without taps")
}

// KernelForwarding reports whether the kernel path is open.
func (r *Relay) KernelForwarding() bool { return r.kernel != nil }

func (r *Relay) closePollers() {
	for _, p := range r.pollers {
		p.close()
	}

}

// NewBridge binds two legs, each an RTP+RTCP socket pair from the range.
// Ports the OS refuses (taken by another program) are skipped. It fails
// with ErrUnavailable when no pair is left or the relay is closed.
func (r *Relay) NewBridge() (*Bridge, error) {
	if r.isClosed() {
		return nil, fmt.Errorf("media: relay closed: %w", errs.ErrUnavailable)
	}
	b := newBridge(r, r.m)
	if err := r.open(b.A); err != nil {
		return nil, err
	}
	if err := r.open(b.B); err != nil {
		r.closeLeg(b.A)
		return nil, err
	}
	if err := r.attach(b); err != nil {
		r.closeLeg(b.A)
		r.closeLeg(b.B)
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = b.Close()
		return nil, fmt.Errorf("media: relay closed: %w", errs.ErrUnavailable)
	}
	r.bridges[b] = struct{}{}
	r.mu.Unlock()
	return b, nil
}

// attach hands b's four sockets to one poller, so both directions of a
// call are read by the same goroutine.
func (r *Relay) attach(b *Bridge) error {
	p := r.pollers[int(r.next.Add(1))%len(r.pollers)]
	for _, l := range [...]*Leg{b.A, b.B} {
		for _, s := range [...]struct {
			s    *socket
			rtcp bool
		}{{&l.rtp, false}, {&l.rtcp, true}} {
			e, err := p.prepare(b, l, s.s, s.rtcp)
			if err != nil {
				for _, e := range b.polled {
					p.remove(e)
				}
				b.polled = nil
				return fmt.Errorf("media: %w: %w", err, errs.ErrUnavailable)
			}
			b.polled = append(b.polled, e)
		}
	}
	b.poller = p
	return nil
}

// PortsInUse is the number of UDP ports (RTP and RTCP) bound right now.
func (r *Relay) PortsInUse() int { return int(r.inUse.Load()) }

// Close closes every open bridge; later NewBridge calls fail.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	open := make([]*Bridge, 0, len(r.bridges))
	for b := range r.bridges {
		open = append(open, b)
	}
	r.mu.Unlock()
	var errList []error
	for _, b := range open {
		if err := b.Close(); err != nil {
			errList = append(errList, err)
		}
	}
	r.closeOnce.Do(func() {
		r.closePollers()
		if r.kernel != nil {
			r.m.relayedSet.follow(r, false)
			close(r.kstop)
			<-r.kdone
			if err := r.kernel.close(); err != nil {
				errList = append(errList, err)
			}
		}
	})
	return errors.Join(errList...)
}

func (r *Relay) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// open binds l to the first free pair the OS accepts. A refused pair goes
// to the back of the list: the other program may let go of it later.
func (r *Relay) open(l *Leg) error {
	for tries := r.pool.free(); tries > 0; tries-- {
		port, ok := r.pool.take()
		if !ok {
			break
		}
		rtp, rtcp, err := r.listenPair(port)
		if err != nil {
			r.pool.put(port)
			r.log.Debug("media: port pair refused, skipped", "port", port, "err", err)
			continue
		}
		l.port = port
		l.local = netip.AddrPortFrom(r.cfg.advertised(), port)
		l.rtp.init(rtp, rtp)
		l.rtcp.init(rtcp, rtcp)
		r.inUse.Add(2)
		r.m.portsInUse.Add(2)
		return nil
	}
	return fmt.Errorf("media: no free port pair in %d-%d: %w", r.cfg.PortMin, r.cfg.PortMax, errs.ErrUnavailable)
}

func (r *Relay) listenPair(port uint16) (rtp, rtcp *udpConn, err error) {
	rtp, err = r.listen(port)
	if err != nil {
		return nil, nil, err
	}
	rtcp, err = r.listen(port + 1)
	if err != nil {
		_ = rtp.Close()
		return nil, nil, err
	}
	return rtp, rtcp, nil
}

func (r *Relay) listen(port uint16) (*udpConn, error) {
	return listenUDP(r.cfg.network(), netip.AddrPortFrom(r.cfg.BindIP, port))
}

// closeLeg undoes open for a leg whose bridge never came to be.
func (r *Relay) closeLeg(l *Leg) {
	_ = l.rtp.conn.Close()
	_ = l.rtcp.conn.Close()
	r.freePort(l.port)
}

// release takes back the ports of a closed bridge whose sockets are shut.
func (r *Relay) release(b *Bridge) {
	r.mu.Lock()
	delete(r.bridges, b)
	r.mu.Unlock()
	r.freePort(b.A.port)
	r.freePort(b.B.port)
}

func (r *Relay) freePort(port uint16) {
	r.pool.put(port)
	r.inUse.Add(-2)
	r.m.portsInUse.Sub(2)
}
