package media

import (
	"encoding/binary"
	"net/netip"
)

// forwardRTP relays one datagram that arrived on in's RTP socket to the other
// leg's peer. The tap sees every accepted packet, held or not, so a recorder
// or an IVR keeps hearing a leg whose audio is not being passed on.
func (b *Bridge) forwardRTP(in *Leg, pkt []byte, src netip.AddrPort, now int64) {
	s := &in.rtp
	switch {
	case len(pkt) > maxPacket:
		b.dropRTP(s, dropTooBig)
		return
	case !validRTP(pkt):
		b.dropRTP(s, dropMalformed)
		return
	}
	// An SRTP leg authenticates before the source may latch (srtp.go).
	pkt, why := in.decryptRTP(pkt)
	switch {
	case why != dropNone:
		b.dropRTP(s, why)
		return
	case !s.accept(src, binary.BigEndian.Uint32(pkt[8:12]), now):
		b.dropRTP(s, dropForeign)
		return
	}
	if b.relay != nil && b.relay.kernel != nil {
		b.kernelMiss(in, src, binary.BigEndian.Uint32(pkt[8:12]))
	}
	s.in.Add(1)
	s.inBytes.Add(uint64(len(pkt)))
	s.lastRx.Store(now)
	if t := b.tap.Load(); t != nil {
		t.OnRTP(in.index, pkt)
	}
	if in.held.Load() {
		b.dropRTP(s, dropHeld)
		return
	}
	if r, ok := in.other.sendRTP(pkt); !ok {
		b.dropRTP(s, r)
		return
	}
	b.m.rtpRelayed.Inc()
	b.m.rtpBytes.Add(float64(len(pkt)))
	s.relayed.Add(1)
	s.relayedBytes.Add(uint64(len(pkt)))
}

// forwardRTCP relays one datagram that arrived on in's RTCP socket. Hold does
// not stop RTCP: SDP direction attributes govern RTP only (RFC 3264).
func (b *Bridge) forwardRTCP(in *Leg, pkt []byte, src netip.AddrPort) {
	s := &in.rtcp
	switch {
	case len(pkt) > maxPacket:
		b.dropRTCP(s, dropTooBig)
		return
	case !validRTCP(pkt):
		b.dropRTCP(s, dropMalformed)
		return
	}
	pkt, why := in.decryptRTCP(pkt)
	switch {
	case why != dropNone:
		b.dropRTCP(s, why)
		return
	case !s.accept(src, binary.BigEndian.Uint32(pkt[4:8]), 0): // the sender's SSRC; RTCP keeps its latch
		b.dropRTCP(s, dropForeign)
		return
	}
	s.in.Add(1)
	s.inBytes.Add(uint64(len(pkt)))
	if r, ok := in.other.sendRTCP(pkt); !ok {
		b.dropRTCP(s, r)
		return
	}
	b.m.rtcpRelayed.Inc()
	s.relayed.Add(1)
	s.relayedBytes.Add(uint64(len(pkt)))
}

// send writes pkt out of socket out to out's peer, symmetric RTP: the peer
// sees packets come from the very address it sends to.
func send(out *socket, pkt []byte) (dropReason, bool) {
	dst := out.peer.Load().dest()
	if !dst.IsValid() {
		return dropNoDestination, false
	}
	if lp := out.local.Load(); lp != nil {
		if lp.WriteRTP(pkt) != nil {
			return dropWriteError, false
		}
		return 0, true
	}
	if _, err := out.w.WriteToUDPAddrPort(pkt, dst); err != nil {
		return dropWriteError, false
	}
	return 0, true
}

// Metrics move before the leg's own counters throughout, so whoever sees a
// leg counter change can rely on the metric having moved too.

func (b *Bridge) dropRTP(s *socket, r dropReason) {
	b.m.rtpDropped[r].Inc()
	s.dropped[r].Add(1)
}

func (b *Bridge) dropRTCP(s *socket, r dropReason) {
	b.m.rtcpDropped[r].Inc()
	s.dropped[r].Add(1)
}
