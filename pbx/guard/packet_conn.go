package guard

import (
	"net"
	"net/netip"
	"sync"

	"github.com/yimen/yimen/internal/udpbatch"
)

// maxCachedAddrs bounds the per-connection cache of returned addresses.
const maxCachedAddrs = 4096

// WrapPacketConn returns pc with ReadFrom filtered: it keeps reading and
// only returns datagrams that pass, dropping the rest silently (counted in
// yimen_guard_dropped_total). Give ReadFrom a buffer larger than
// MaxMessageBytes (sipgo reads into 32 KiB). Writes pass through.
//
// When pc is a *net.UDPConn the returned net.Addr of a source is shared
// between reads, so that passing a datagram allocates nothing; treat it as
// read-only.
func (g *Guard) WrapPacketConn(pc net.PacketConn) net.PacketConn {
	c := &packetConn{PacketConn: pc, g: g}
	if u, ok := pc.(*net.UDPConn); ok {
		// A datagram one byte over the limit shows as cut.
		if r, err := udpbatch.NewReader(u, readBatch, g.cfg.MaxMessageBytes+1); err == nil {
			c.batch = r
			c.addrs.m = make(map[netip.AddrPort]*net.UDPAddr)
		} else {
			g.log.Warn("guard: datagrams read one at a time", "err", err)
		}
	}
	return c
}

// readBatch is how many datagrams one system call may take from the SIP
// socket: under a flood the backlog is read 32 at a time, and a banned
// source's datagram costs a share of a call and a map look-up.
const readBatch = 32

var _ net.PacketConn = (*packetConn)(nil)

// packetConn is the filtered net.PacketConn.
type packetConn struct {
	net.PacketConn
	g     *Guard
	only  []netip.Prefix   // set on the carrier-facing listener: the only sources let in
	batch *udpbatch.Reader // non-nil (a UDP socket): read in batches, without allocating an address per datagram
	addrs addrCache
}

// ReadFrom returns the next datagram that passes the guard.
func (c *packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	if c.batch != nil {
		return c.readBatch(b)
	}
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		if c.carrier(addrIP(addr)) && c.g.filterDatagram(b, n, addrIP(addr)) == verdictPass {
			return n, addr, nil
		}
	}
}

// readBatch returns the next datagram of the batch that passes, copied
// into b; a datagram b cannot hold whole is dropped as too big.
func (c *packetConn) readBatch(b []byte) (int, net.Addr, error) {
	var (
		n   int
		src netip.AddrPort
	)
	err := c.batch.Next(func(d, buf []byte, from netip.AddrPort) bool {
		if !c.carrier(from.Addr()) || c.g.filterDatagram(buf, len(d), from.Addr()) != verdictPass {
			return false
		}
		if len(d) >= len(b) {
			c.g.m.droppedTooBig.Inc()
			return false
		}
		n, src = copy(b, d), from
		return true
	})
	if err != nil {
		return 0, nil, err
	}
	return n, c.addrs.get(src), nil
}

// WrapCarrierPacketConn is WrapPacketConn for the carrier-facing
// listener: a datagram from any source outside carriers (the trunks'
// addresses) is dropped before anything else looks at it, and counted
// under the reason not_carrier.
func (g *Guard) WrapCarrierPacketConn(pc net.PacketConn, carriers []netip.Prefix) net.PacketConn {
	c := g.WrapPacketConn(pc).(*packetConn)
	c.only = carriers
	if c.only == nil {
		c.only = []netip.Prefix{} // no trunk: nobody
	}
	return c
}

// carrier says whether a datagram from ip may be read: always, but on the
// carrier-facing listener only from a carrier.
func (c *packetConn) carrier(ip netip.Addr) bool {
	if c.only == nil {
		return true
	}
	ip = ip.Unmap()
	for _, p := range c.only {
		if p.Contains(ip) {
			return true
		}
	}
	c.g.m.droppedCarrier.Inc()
	return false
}

// addrCache hands out one *net.UDPAddr per source address and port.
type addrCache struct {
	mu sync.Mutex
	m  map[netip.AddrPort]*net.UDPAddr
}

func (c *addrCache) get(ap netip.AddrPort) net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[ap]
	if !ok {
		// Starting over is cheaper than tracking recency, and only costs
		// one allocation per source afterwards.
		if len(c.m) >= maxCachedAddrs {
			clear(c.m)
		}
		a = net.UDPAddrFromAddrPort(ap)
		c.m[ap] = a
	}
	return a
}

// addrIP extracts the IP of a socket address; the zero Addr if unknown.
func addrIP(addr net.Addr) netip.Addr {
	var ip net.IP
	switch a := addr.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	case nil:
		return netip.Addr{}
	default:
		ap, err := netip.ParseAddrPort(addr.String())
		if err != nil {
			return netip.Addr{}
		}
		return ap.Addr().Unmap()
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
