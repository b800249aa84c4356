//go:build !linux

package media

import (
	"net"
	"net/netip"
)

// udpConn is a relay port's socket where there is no epoll poller: the
// runtime's, read by a goroutine per socket (poller_other.go).
type udpConn = net.UDPConn

func listenUDP(network string, addr netip.AddrPort) (*udpConn, error) {
	return net.ListenUDP(network, net.UDPAddrFromAddrPort(addr))
}
