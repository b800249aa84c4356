package media

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Tap observes the RTP a bridge accepts, e.g. a recorder, monitor or DTMF
// detector. OnRTP runs on the poller goroutine that reads the bridge, which
// serves many other calls too, with the raw packet: it must not block, and
// must copy pkt if it keeps it past the call.
type Tap interface {
	OnRTP(leg int, pkt []byte)
}

// Leg indexes for Bridge.Leg, SetHold and Tap.OnRTP.
const (
	LegA = 0
	LegB = 1
)

// Bridge relays media between its two legs, A and B.
type Bridge struct {
	A, B *Leg

	relay *Relay // nil when the forward path is driven without sockets
	m     *Metrics
	tap   atomic.Pointer[tapRef]

	startedAt atomic.Int64 // unix nanos of Start

	poller *poller   // reads the four sockets; nil without sockets
	polled []*polled // the sockets as the poller knows them

	mu      sync.Mutex // orders Start and Close
	started bool
	closed  bool

	kmu     sync.Mutex // orders offloading and withdrawing the kernel path's flows (offload.go)
	kclosed bool       // under kmu: no more offloads
}

// tapRef boxes a Tap so it can sit behind an atomic pointer.
type tapRef struct{ Tap }

// newBridge links two legs; sockets are attached by the caller.
func newBridge(r *Relay, m *Metrics) *Bridge {
	b := &Bridge{relay: r, m: m}
	b.A, b.B = &Leg{index: LegA, relay: r, bridge: b}, &Leg{index: LegB, relay: r, bridge: b}
	b.A.other, b.B.other = b.B, b.A
	return b
}

// Leg returns leg A for 0 and leg B for 1; other indexes panic.
func (b *Bridge) Leg(i int) *Leg {
	switch i {
	case LegA:
		return b.A
	case LegB:
		return b.B
	}
	panic(fmt.Sprintf("media: no leg %d", i))
}

// Start begins relaying A<->B. Packets that arrive earlier wait in the
// socket buffers. Calling it again, or after Close, does nothing.
func (b *Bridge) Start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started || b.closed {
		return
	}
	b.started = true
	b.startedAt.Store(time.Now().UnixNano())
	for _, e := range b.polled {
		if err := b.poller.start(e); err != nil {
			// Only a kernel out of memory or epoll watches gets here; the
			// call's media timeout then ends it.
			b.relay.log.Error("media: cannot read a socket; the leg will be silent", "err", err)
		}
	}
}

// LastPacket is when RTP was last accepted on either leg, or when Start was
// called if none has come since; zero before Start. A media-timeout loop
// compares it with the clock.
func (b *Bridge) LastPacket() time.Time {
	b.kernelCount() // packets the kernel forwarded since the last sweep
	last := max(b.startedAt.Load(), b.A.rtp.lastRx.Load(), b.B.rtp.lastRx.Load())
	if last == 0 {
		return time.Time{}
	}
	return time.Unix(0, last)
}

// SetTap attaches t to both legs, replacing any earlier tap; nil detaches.
// The swap is atomic: each packet goes to the old tap or the new one, never both.
func (b *Bridge) SetTap(t Tap) {
	if t == nil {
		b.tap.Store(nil)
		return
	}
	b.tap.Store(&tapRef{t})
	b.kernelWithdraw() // a tap hears every packet: none may go by in the kernel
}

// SetHold stops (held=true) or resumes forwarding the RTP that leg's peer
// sends. Held packets are counted and still shown to the tap.
func (b *Bridge) SetHold(leg int, held bool) {
	b.Leg(leg).held.Store(held)
	if held {
		b.kernelWithdraw()
	}
}

// Close stops relaying, waits until no packet of the bridge is being read
// and returns the ports to the relay. It is idempotent; only the first call
// reports errors.
func (b *Bridge) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()

	if k := b.kernel(); k != nil {
		b.kmu.Lock()
		b.kclosed = true
		b.kmu.Unlock()
		b.kernelWithdraw() // the last counts, before the ports go back
	}

	for _, e := range b.polled {
		b.poller.remove(e)
	}
	var errList []error
	for _, l := range [...]*Leg{b.A, b.B} {
		for _, s := range [...]*socket{&l.rtp, &l.rtcp} {
			if s.conn != nil {
				if err := s.conn.Close(); err != nil {
					errList = append(errList, err)
				}
			}
		}
	}
	for _, e := range b.polled {
		b.poller.wait(e)
	}
	if b.relay != nil {
		b.relay.release(b)
	}
	if err := errors.Join(errList...); err != nil {
		return fmt.Errorf("media: close bridge: %w", err)
	}
	return nil
}

// Tap returns the attached tap, or nil; a second consumer (supervision)
// chains to it so the recorder keeps its packets.
func (b *Bridge) Tap() Tap {
	if r := b.tap.Load(); r != nil {
		return r.Tap
	}
	return nil
}
