// Package media is the RTP relay: it owns the UDP port range, allocates an
// RTP+RTCP socket pair per call leg, and moves packets between the two legs of
// a Bridge untouched (G.711 passthrough, no decoding, no re-packetising).
//
// Sockets are read by pollers, one per processor (poller_linux.go): each
// keeps its bridges' sockets in one epoll set and reads whatever is ready
// in batches, so there is no goroutine per call and one wake-up serves many
// packets. A bridge's four sockets share a poller; the forward path does no
// allocation and keeps its counters in atomics. A leg's
// peer is latched to the source of the first valid packet (symmetric RTP, for
// NAT) and later packets from any other source are dropped. Taps (recorder,
// monitor, DTMF, IVR) attach to a Bridge without locking the hot path.
package media
