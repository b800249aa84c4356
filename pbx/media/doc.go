// Package media is the RTP relay: it owns the UDP port range, allocates an
// RTP+RTCP socket pair per call leg, and moves packets between the two legs of
// a Bridge untouched (G.711 passthrough, no decoding, no re-packetising).
//
// Each socket has one reader goroutine that owns its receive buffer; the
// forward path does no allocation and keeps its counters in atomics. A leg's
// peer is latched to the source of the first valid packet (symmetric RTP, for
// NAT) and later packets from any other source are dropped. Taps (recorder,
// monitor, DTMF, IVR) attach to a Bridge without locking the hot path.
package media
