package media

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Leg is one side of a Bridge: an RTP and an RTCP socket facing one peer.
type Leg struct {
	index  int
	other  *Leg
	bridge *Bridge
	relay  *Relay         // nil when the forward path is driven without sockets
	port   uint16         // bound RTP port; RTCP is port+1
	local  netip.AddrPort // advertised RTP address
	rtp    socket
	rtcp   socket
	held   atomic.Bool
	srtp   atomic.Pointer[legSRTP] // nil: plain RTP (srtp.go)
	out    outStream               // what goes to the peer, as one stream
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
	// DroppedSRTP counts SRTP from this peer that failed authentication or
	// the replay check (forged, altered or replayed packets).
	DroppedSRTP uint64
	// RTCPDropped counts RTCP not relayed, for any reason.
	RTCPDropped uint64
	// PacketsKernel is how many of PacketsIn the kernel forwarded without
	// the relay reading them (offload.go).
	PacketsKernel uint64
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
// destination until the peer latches by sending from its signalling host
// (SetSignalHost); media from other hosts is never accepted.
func (l *Leg) SetRemote(addr netip.AddrPort) {
	addr = unmapped(addr)
	l.rtp.setRemote(addr)
	l.rtp.local.Store(l.relay.localPeer(addr)) // local_peer.go
	rtcp := netip.AddrPort{}
	if addr.IsValid() && addr.Port() < 65535 {
		rtcp = netip.AddrPortFrom(addr.Addr(), addr.Port()+1)
	}
	l.rtcp.setRemote(rtcp)
	l.bridge.kernelWithdraw()
}

// SetSignalHost records the host the leg's peer signals from (the source
// address of its SIP messages). RTP and RTCP from that host are accepted
// even when the SDP names another address, which is what a phone behind NAT
// does; from any other host than this and the SDP's, never.
func (l *Leg) SetSignalHost(ip netip.Addr) {
	ip = ip.Unmap()
	l.rtp.setHost(ip)
	l.rtcp.setHost(ip)
	l.bridge.kernelWithdraw()
}

// SetRemoteRTCP overrides the RTCP address SetRemote derived, for an SDP
// a=rtcp attribute. Call it after SetRemote.
func (l *Leg) SetRemoteRTCP(addr netip.AddrPort) { l.rtcp.setRemote(unmapped(addr)) }

// WriteRTP sends pkt from this leg's RTP socket to its peer, e.g. a prompt
// played while the bridge holds the other side. It is safe to call from any
// goroutine; ErrUnavailable means the peer's address is not known yet.
// pkt is plain RTP; an SRTP leg encrypts it (srtp.go).
func (l *Leg) WriteRTP(pkt []byte) error {
	if k := l.bridge.kernel(); k != nil {
		// What the phone hears stops being one forwarded stream: take the
		// direction back (its out stream carries on from the kernel's last
		// packet), and send under kmu so no sweep offloads it meanwhile.
		b := l.bridge
		b.kmu.Lock()
		defer b.kmu.Unlock()
		b.withdrawLocked(l.other, k)
	}
	switch r, ok := l.sendRTP(pkt); {
	case ok:
	case r == dropNoDestination:
		return fmt.Errorf("media: leg %d has no remote address: %w", l.index, errs.ErrUnavailable)
	default:
		return fmt.Errorf("media: write to leg %d: %s", l.index, r)
	}
	l.rtp.injected.Add(1)
	l.rtp.injectedBytes.Add(uint64(len(pkt)))
	return nil
}

// Stats reads the leg's counters; each field is exact, the set is not one instant.
func (l *Leg) Stats() LegStats {
	l.bridge.kernelCount()
	in, out := &l.rtp, &l.other.rtp
	p := in.peer.Load()
	s := LegStats{
		PacketsIn:            in.in.Load(),
		BytesIn:              in.inBytes.Load(),
		PacketsKernel:        in.kernel.Load(),
		PacketsOut:           out.relayed.Load() + in.injected.Load(),
		BytesOut:             out.relayedBytes.Load() + in.injectedBytes.Load(),
		RTCPIn:               l.rtcp.in.Load(),
		RTCPOut:              l.other.rtcp.relayed.Load(),
		DroppedForeign:       in.dropped[dropForeign].Load(),
		DroppedNoDestination: in.dropped[dropNoDestination].Load(),
		DroppedHeld:          in.dropped[dropHeld].Load(),
		DroppedInvalid:       in.dropped[dropMalformed].Load() + in.dropped[dropTooBig].Load(),
		DroppedSendFailed:    in.dropped[dropWriteError].Load(),
		DroppedSRTP:          in.dropped[dropCrypto].Load(),
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
	conn  *udpConn // nil in benchmarks that drive the forward path directly
	w     packetWriter
	peer  atomic.Pointer[peer]
	local atomic.Pointer[localRef] // the peer's RTP goes to it, not to w (local_peer.go)
	kflow atomic.Pointer[kflow]    // RTP: this direction is forwarded in the kernel (offload.go)

	in, inBytes             atomic.Uint64 // accepted from this socket's peer
	relayed, relayedBytes   atomic.Uint64 // sent on out of the other leg's socket
	injected, injectedBytes atomic.Uint64 // sent by WriteRTP
	kernel                  atomic.Uint64 // of relayed: forwarded in the kernel
	dropped                 [numDropReasons]atomic.Uint64
	lastRx                  atomic.Int64 // unix nanos of the last accepted packet
}

// peer is who a socket talks to. It is replaced whole, never edited, so the
// reader needs one atomic load per packet and no lock.
//
// Which sources may latch (strict source, as rtpengine's "strict source"
// with learning): a packet is accepted from the latched source; otherwise
// only from the host named in the SDP or the host the peer signals from
// (a phone behind NAT writes its private address into SDP and sends from
// the NAT's public one). A source on neither host is foreign, however early
// it comes, so a stranger who guesses a relay port cannot take a call's
// audio. Once latched, another port of an allowed host may take over only
// with the latched stream's SSRC and only after the latched source has been
// quiet for relatchQuiet (a NAT that rebinds the phone's port mid-call), so
// stale packets from a port the phone left cannot pull the audio back; a
// re-INVITE that moves the media (SetRemote) starts over.
type peer struct {
	sdp     netip.AddrPort // from signalling; zero when unknown
	host    netip.Addr     // where the peer's signalling comes from; zero when unknown
	latched netip.AddrPort // source of the accepted stream; zero until then
	ssrc    uint32         // the latched stream's SSRC
}

// dest is where packets for this peer go: a latched source beats the SDP
// address because it is what got through the NAT.
func (p *peer) dest() netip.AddrPort {
	if p.latched.IsValid() {
		return p.latched
	}
	return p.sdp
}

// allows reports whether ip is a host this peer's media may come from.
func (p *peer) allows(ip netip.Addr) bool {
	return (p.sdp.IsValid() && p.sdp.Addr() == ip) || (p.host.IsValid() && p.host == ip)
}

func (s *socket) init(conn *udpConn, w packetWriter) {
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
		if s.peer.CompareAndSwap(p, &peer{sdp: addr, host: p.host}) {
			return
		}
	}
}

// setHost installs the signalling host, keeping a latch that is still
// allowed and dropping one that is not.
func (s *socket) setHost(ip netip.Addr) {
	if !ip.IsValid() || ip.IsUnspecified() {
		ip = netip.Addr{}
	}
	for {
		p := s.peer.Load()
		if p.host == ip {
			return
		}
		n := &peer{sdp: p.sdp, host: ip}
		if n.allows(p.latched.Addr()) {
			n.latched, n.ssrc = p.latched, p.ssrc
		}
		if s.peer.CompareAndSwap(p, n) {
			return
		}
	}
}

// relatchQuiet is how long a latched source must be silent before another
// port of its host may take over with the same stream.
const relatchQuiet = int64(500 * time.Millisecond)

// accept reports whether a packet of stream ssrc from src, arriving at now
// (unix nanos; 0 where the socket keeps no receive time, which forbids
// moving the latch), belongs to the peer, latching to src when the rules on
// peer allow it. The latched source costs one load and one compare; only a
// (re)latch allocates.
func (s *socket) accept(src netip.AddrPort, ssrc uint32, now int64) bool {
	for {
		p := s.peer.Load()
		if p.latched == src && src.IsValid() {
			return true
		}
		if !p.allows(src.Addr()) {
			return false
		}
		if p.latched.IsValid() && (p.ssrc != ssrc || now == 0 || now-s.lastRx.Load() < relatchQuiet) {
			return false
		}
		if s.peer.CompareAndSwap(p, &peer{sdp: p.sdp, host: p.host, latched: src, ssrc: ssrc}) {
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
