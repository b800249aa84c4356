package guard

import (
	"net"
	"net/netip"
	"sync"
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
		c.udp = u
		c.addrs.m = make(map[netip.AddrPort]*net.UDPAddr)
	}
	return c
}

var _ net.PacketConn = (*packetConn)(nil)

// packetConn is the filtered net.PacketConn.
type packetConn struct {
	net.PacketConn
	g     *Guard
	only  []netip.Prefix // set on the carrier-facing listener: the only sources let in
	udp   *net.UDPConn   // non-nil: read without allocating an address per datagram
	addrs addrCache
}

// ReadFrom returns the next datagram that passes the guard.
func (c *packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	if c.udp != nil {
		return c.readUDP(b)
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

func (c *packetConn) readUDP(b []byte) (int, net.Addr, error) {
	for {
		n, ap, err := c.udp.ReadFromUDPAddrPort(b)
		if err != nil {
			return n, nil, err
		}
		if c.carrier(ap.Addr()) && c.g.filterDatagram(b, n, ap.Addr()) == verdictPass {
			return n, c.addrs.get(ap), nil
		}
	}
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
