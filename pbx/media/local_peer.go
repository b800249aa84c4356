package media

import (
	"net/netip"
	"sync"
)

// LocalPeer is a party the PBX plays itself whose media is not a UDP
// socket: a browser agent's WebRTC session (pbx/webrtc), which speaks SRTP
// to the browser. A leg whose SDP names an address registered for a local
// peer hands it the RTP it would have sent there, so the packet reaches
// pion without a loopback sendto and recvfrom. The other direction stays
// a datagram into the leg's socket: the poller that reads a bridge is the
// only goroutine its taps (recorder, supervision) ever hear from.
type LocalPeer interface {
	// WriteRTP is given one packet for the peer. It runs on the relay's
	// poller (or the goroutine of a prompt or a mix writing to the leg):
	// it must not block and must not keep pkt.
	WriteRTP(pkt []byte) error
}

// localPeers maps the addresses local peers answer SDP with to them. It is
// read when a leg's remote is set, never per packet.
type localPeers struct {
	mu    sync.RWMutex
	peers map[netip.AddrPort]LocalPeer
}

// localRef boxes a LocalPeer behind an atomic pointer.
type localRef struct{ LocalPeer }

// SetLocalPeer routes RTP for addr to p from now on (legs pick it up when
// their remote is set); a nil p removes the route.
func (r *Relay) SetLocalPeer(addr netip.AddrPort, p LocalPeer) {
	addr = unmapped(addr)
	r.locals.mu.Lock()
	defer r.locals.mu.Unlock()
	if p == nil {
		delete(r.locals.peers, addr)
		return
	}
	if r.locals.peers == nil {
		r.locals.peers = map[netip.AddrPort]LocalPeer{}
	}
	r.locals.peers[addr] = p
}

func (r *Relay) localPeer(addr netip.AddrPort) *localRef {
	if r == nil {
		return nil
	}
	r.locals.mu.RLock()
	defer r.locals.mu.RUnlock()
	if p := r.locals.peers[addr]; p != nil {
		return &localRef{p}
	}
	return nil
}

// BridgedPeer answers, for the address a leg gives its peer in SDP (one
// leg's LocalAddr), where the other leg of the same bridge sends its media:
// its latched source, else its SDP address. It lets two local peers on one
// call find each other (two browser agents on a video call). It walks the
// bridges under the relay's lock: for signalling events, never per packet.
func (r *Relay) BridgedPeer(local netip.AddrPort) (netip.AddrPort, bool) {
	local = unmapped(local)
	r.mu.Lock()
	defer r.mu.Unlock()
	for b := range r.bridges {
		for _, l := range [...]*Leg{b.A, b.B} {
			if l.local != local {
				continue
			}
			if to := l.other.rtp.peer.Load().dest(); to.IsValid() && to.Port() != 0 {
				return to, true
			}
			return netip.AddrPort{}, false
		}
	}
	return netip.AddrPort{}, false
}
