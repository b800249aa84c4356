package guard

import (
	"math/bits"
	"net/netip"
	"sync"
)

// shardCount splits per-IP state so the UDP reader and TCP connections
// rarely wait on the same lock.
const shardCount = 64

// shard holds the rate state and the bans of the IPs that hash to it, so
// the pass path takes one lock.
type shard struct {
	mu       sync.Mutex
	peers    map[netip.Addr]*peer
	overflow peer // shared by new sources while peers is full
	bans     map[netip.Addr]Ban
	_        [64]byte // keeps neighbouring shards' locks off one cache line
}

// peer is one source's token bucket and its recent rate-limit drops.
type peer struct {
	tokens     float64
	last       int64 // unix nanoseconds of the last refill
	drops      int
	dropsSince int64
}

func (g *Guard) shardFor(ip netip.Addr) *shard {
	a := ip.As16()
	var hi, lo uint64
	for i := range 8 {
		hi = hi<<8 | uint64(a[i])
		lo = lo<<8 | uint64(a[8+i])
	}
	h := (hi ^ bits.RotateLeft64(lo, 29)) * 0x9e3779b97f4a7c15
	return &g.shards[h>>(64-6)]
}

// peerFor returns ip's bucket, creating it full. Once the shard holds
// shardCap sources, new ones share the shard's overflow bucket instead of
// growing memory (tracked is then false): under a spoofed-source flood new
// legitimate sources compete for one bucket until Run evicts idle entries.
func (s *shard) peerFor(ip netip.Addr, now int64, burst float64, shardCap int) (p *peer, tracked bool) {
	if p, ok := s.peers[ip]; ok {
		return p, true
	}
	if len(s.peers) >= shardCap {
		return &s.overflow, false
	}
	p = &peer{tokens: burst, last: now}
	s.peers[ip] = p
	return p, true
}

// take refills the bucket for the time passed and spends n tokens, or
// none when fewer are left.
func (p *peer) take(now int64, perNs, burst float64, n int) bool {
	if el := now - p.last; el > 0 {
		p.tokens = min(burst, p.tokens+float64(el)*perNs)
		p.last = now
	}
	if p.tokens >= float64(n) {
		p.tokens -= float64(n)
		return true
	}
	return false
}

// noteDrop counts n rate-limit drops in a fixed window and reports whether
// the source has now been over its rate for long enough to be banned.
func (p *peer) noteDrop(now, window int64, limit, n int) bool {
	if p.drops == 0 || now-p.dropsSince > window {
		p.drops, p.dropsSince = 0, now
	}
	p.drops += n
	return p.drops >= limit
}

// idle reports whether forgetting p changes nothing: its bucket has
// refilled and no flood window is open.
func (p *peer) idle(now int64, perNs, burst float64, window int64) bool {
	full := p.tokens+float64(now-p.last)*perNs >= burst
	return full && (p.drops == 0 || now-p.dropsSince > window)
}

// putBan stores b and reports whether the IP was not in the map before.
func (s *shard) putBan(b Ban) bool {
	_, had := s.bans[b.IP]
	s.bans[b.IP] = b
	return !had
}
