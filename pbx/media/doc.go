// Package media is the RTP relay: it owns the UDP port range, allocates an
// RTP+RTCP socket pair per call leg, and moves packets between the two legs of
// a Bridge untouched (G.711 passthrough, no decoding, no re-packetising).
//
// Sockets are read by pollers, one per processor (poller_linux.go): each
// keeps its bridges' sockets in one epoll set and reads whatever is ready
// in batches, so there is no goroutine per call and one wake-up serves many
// packets. A bridge's four sockets share a poller; the forward path does no
// allocation and keeps its counters in atomics. A leg accepts media only
// from the host its SDP names or the host its peer signals from (strict
// source, leg.go), latches to the first such source (symmetric RTP, for NAT)
// and drops every other source; ports are handed out at random among the
// rested ones (port_pool.go). A leg keyed with SDES keys speaks SRTP with
// its peer (srtp.go): what it receives is authenticated, replay-checked and
// decrypted before it may latch, what it sends is encrypted, each leg with
// its own keys, so an SRTP phone and a plain one hear each other. Taps
// (recorder, monitor, DTMF, IVR) attach to a Bridge without locking the hot
// path and always see plain RTP. A direction that needs none of this is
// handed to an eBPF program in the kernel where the host allows it
// (offload.go), and taken back the moment it does.
package media
