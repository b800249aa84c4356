package media

import (
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/yimen/yimen/internal/errs"
)

// Leg is one side of a Bridge: an RTP and an RTCP socket facing one peer.
type Leg struct {
	index int
	other *Leg
	port  uint16         // bound RTP port; RTCP is port+1
	local netip.AddrPort // advertised RTP address
	rtp   socket
	rtcp  socket
	held  atomic.Bool
}

// LegStats is a snapshot of a leg's counters. "In" is what this leg's peer
// sent and the relay accepted; "Out" is what the relay sent to that peer.
type LegStats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
	RTCPIn, RTCPOut       uint64
	// DroppedForeign counts RTP from a source other than the latched peer.
	DroppedForeign uint64
	// DroppedNoDestination counts RTP from this peer that had nowhere to go:
	// the other leg had neither an SDP address nor a latched peer.
	DroppedNoDestination uint64
	// DroppedHeld counts RTP from this peer not forwarded while the leg is held.
	DroppedHeld uint64
	// DroppedInvalid counts datagrams on the RTP socket that were not RTP or too big.
	DroppedInvalid uint64
	// DroppedSendFailed counts RTP the kernel refused to send on to the other leg.
	DroppedSendFailed uint64
	// RTCPDropped counts RTCP not relayed, for any reason.
	RTCPDropped uint64
	// Latched is true once RTP from the peer has fixed its source address.
	Latched bool
	// Source is the latched RTP source (zero until latched).
	Source netip.AddrPort
	// Remote is where RTP for this peer goes now: the latched source, else the SDP address.
	Remote netip.AddrPort
}

// LocalAddr is the RTP address to put into the SDP sent to this leg's peer.
func (l *Leg) LocalAddr() netip.AddrPort { return l.local }

// SetRemote records the peer's RTP address from its SDP (c= and m= port);
// RTCP is expected on the port above. A different address than before (a
// re-INVITE moving the media) drops the latch, since a new peer is legitimate.
// An unspecified address (c=0.0.0.0) or port 0 leaves the leg with no
// destination until the peer latches by sending.
func (l *Leg) SetRemote(addr netip.AddrPort) {
	addr = unmapped(addr)
	l.rtp.setRemote(addr)
	rtcp := netip.AddrPort{}
	if addr.IsValid() && addr.Port() < 65535 {
		rtcp = netip.AddrPortFrom(addr.Addr(), addr.Port()+1)
	}
	l.rtcp.setRemote(rtcp)
}

// SetRemoteRTCP overrides the RTCP address SetRemote derived, for an SDP
// a=rtcp attribute. Call it after SetRemote.
func (l *Leg) SetRemoteRTCP(addr netip.AddrPort) { l.rtcp.setRemote(unmapped(addr)) }

// WriteRTP sends pkt from this leg's RTP socket to its peer, e.g. a prompt
// played while the bridge holds the other side. It is safe to call from any
// goroutine; ErrUnavailable means the peer's address is not known yet.
func (l *Leg) WriteRTP(pkt []byte) error {
	dst := l.rtp.peer.Load().dest()
	if !dst.IsValid() {
		return fmt.Errorf("media: leg %d has no remote address: %w", l.index, errs.ErrUnavailable)
	}
	if _, err := l.rtp.w.WriteToUDPAddrPort(pkt, dst); err != nil {
		return fmt.Errorf("media: write to leg %d: %w", l.index, err)
	}
	l.rtp.injected.Add(1)
	l.rtp.injectedBytes.Add(uint64(len(pkt)))
	return nil
}

// Stats reads the leg's counters; each field is exact, the set is not one instant.
func (l *Leg) Stats() LegStats {
	in, out := &l.rtp, &l.other.rtp
	p := in.peer.Load()
	s := LegStats{
		PacketsIn:            in.in.Load(),
		BytesIn:              in.inBytes.Load(),
		PacketsOut:           out.relayed.Load() + in.injected.Load(),
		BytesOut:             out.relayedBytes.Load() + in.injectedBytes.Load(),
		RTCPIn:               l.rtcp.in.Load(),
		RTCPOut:              l.other.rtcp.relayed.Load(),
		DroppedForeign:       in.dropped[dropForeign].Load(),
		DroppedNoDestination: in.dropped[dropNoDestination].Load(),
		DroppedHeld:          in.dropped[dropHeld].Load(),
		DroppedInvalid:       in.dropped[dropMalformed].Load() + in.dropped[dropTooBig].Load(),
		DroppedSendFailed:    in.dropped[dropWriteError].Load(),
		Latched:              p.latched.IsValid(),
		Source:               p.latched,
		Remote:               p.dest(),
	}
	for i := range l.rtcp.dropped {
		s.RTCPDropped += l.rtcp.dropped[i].Load()
	}
	return s
}

// packetWriter is the send half of a UDP socket; benchmarks swap in a fake.
type packetWriter interface {
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// socket is one UDP socket of a leg. The poller that reads it is the only
// writer of its counters.
type socket struct {
	conn *net.UDPConn // nil in benchmarks that drive the forward path directly
	w    packetWriter
	peer atomic.Pointer[peer]

	in, inBytes             atomic.Uint64 // accepted from this socket's peer
	relayed, relayedBytes   atomic.Uint64 // sent on out of the other leg's socket
	injected, injectedBytes atomic.Uint64 // sent by WriteRTP
	dropped                 [numDropReasons]atomic.Uint64
	lastRx                  atomic.Int64 // unix nanos of the last accepted packet
}

// peer is who a socket talks to. It is replaced whole, never edited, so the
// reader needs one atomic load per packet and no lock.
type peer struct {
	sdp     netip.AddrPort // from signalling; zero when unknown
	latched netip.AddrPort // source of the first valid packet; zero until then
}

// dest is where packets for this peer go: a latched source beats the SDP
// address because it is what got through the NAT.
func (p *peer) dest() netip.AddrPort {
	if p.latched.IsValid() {
		return p.latched
	}
	return p.sdp
}

func (s *socket) init(conn *net.UDPConn, w packetWriter) {
	s.conn, s.w = conn, w
	s.peer.Store(&peer{})
}

// setRemote installs the SDP address, dropping the latch if it changed.
func (s *socket) setRemote(addr netip.AddrPort) {
	if !addr.IsValid() || addr.Addr().IsUnspecified() || addr.Port() == 0 {
		addr = netip.AddrPort{}
	}
	for {
		p := s.peer.Load()
		if p.sdp == addr {
			return
		}
		if s.peer.CompareAndSwap(p, &peer{sdp: addr}) {
			return
		}
	}
}

// accept latches an unlatched socket to src and reports whether src is the
// peer. Only the first packet after a (re)latch allocates.
func (s *socket) accept(src netip.AddrPort) bool {
	for {
		p := s.peer.Load()
		if p.latched.IsValid() {
			return p.latched == src
		}
		if s.peer.CompareAndSwap(p, &peer{sdp: p.sdp, latched: src}) {
			return true
		}
	}
}

// unmapped turns an IPv4-mapped IPv6 address into plain IPv4 so that
// addresses from SDP and from the socket compare equal.
func unmapped(a netip.AddrPort) netip.AddrPort {
	if a.Addr().Is4In6() {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	return a
}
