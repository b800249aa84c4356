package guard

import (
	"context"
	"net/netip"
)

// verdict is what the guard decided about one message.
type verdict uint8

const (
	verdictPass verdict = iota
	verdictBanned
	verdictRate
	verdictTooBig
	verdictScanner
)

// admit applies the ban list and the token bucket to n messages (or one
// connection) from the source key ip, bans a source that keeps flooding,
// and counts drops.
func (g *Guard) admit(ip netip.Addr, n int) verdict {
	now := g.now()
	ns := now.UnixNano()
	s := g.shardFor(ip)
	s.mu.Lock()
	if b, ok := s.bans[ip]; ok && now.Before(b.Until) {
		s.mu.Unlock()
		g.m.droppedBanned.Inc()
		return verdictBanned
	}
	p, tracked := s.peerFor(ip, ns, g.burst, g.shardCap)
	if p.take(ns, g.ratePerNs, g.burst, n) {
		s.mu.Unlock()
		return verdictPass
	}
	var r autoBanResult
	// The shared overflow bucket says nothing about any one source, so
	// its drops never lead to a ban.
	if g.cfg.FloodBan && tracked && p.noteDrop(ns, g.floodWindowNs, g.cfg.FloodDrops, n) {
		p.drops = 0
		r = g.autoBanLocked(s, ip, "flood", now)
	}
	s.mu.Unlock()
	g.m.droppedRate.Inc()
	g.finishAutoBan(context.Background(), r)
	return verdictRate
}

// filterDatagram decides about a datagram of n bytes read into buf from ip.
// A datagram that fills a buffer no larger than MaxMessageBytes may have
// been truncated by the read, so it is dropped as too big as well.
func (g *Guard) filterDatagram(buf []byte, n int, ip netip.Addr) verdict {
	ip = ip.Unmap()
	tooBig := n > g.cfg.MaxMessageBytes || (n > 0 && n == len(buf) && n <= g.cfg.MaxMessageBytes)
	if g.allowed(ip) {
		if tooBig {
			g.m.droppedTooBig.Inc()
			return verdictTooBig
		}
		return verdictPass
	}
	// A source the guard cannot name cannot be rate-limited or banned.
	if ip.IsValid() {
		if v := g.admit(sourceKey(ip), 1); v != verdictPass {
			return v
		}
	}
	if tooBig {
		g.m.droppedTooBig.Inc()
		return verdictTooBig
	}
	if g.scanner.match(buf[:n], true) {
		g.m.droppedScanner.Inc()
		return verdictScanner
	}
	return verdictPass
}

// filterStream decides about one read of a TCP connection from the source
// key ip, which is not allow-listed. The read is charged one token per SIP
// message it completes (at least one), so messages pipelined into one
// segment cost what the same messages cost over UDP.
func (g *Guard) filterStream(ip netip.Addr, data []byte, ends *messageEnds) verdict {
	if v := g.admit(ip, max(1, ends.count(data))); v != verdictPass {
		return v
	}
	if g.scanner.match(data, false) {
		g.m.droppedScanner.Inc()
		return verdictScanner
	}
	return verdictPass
}
