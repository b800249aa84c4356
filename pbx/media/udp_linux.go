package media

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpConn is a relay port's socket on Linux: a bare descriptor. The poller
// reads it from its own epoll set (poller_linux.go), so the runtime's
// network poller never needs to know it; a *net.UDPConn would register it
// there too and bring, per socket, a netFD, a poll.FD, a runtime poll
// descriptor and a finalizer, about 0.9 KB that every call kept for each
// of its four sockets. Writes are sendto(2) on the non-blocking socket: a
// datagram the socket cannot take now (EAGAIN, its buffer full) is
// dropped, as a late RTP packet is worth nothing.
type udpConn struct {
	// mu keeps Close from closing the descriptor under a write, which
	// would then go to whatever the number was given to next.
	mu sync.RWMutex
	fd int // -1 once closed
	v6 bool
}

// listenUDP binds a non-blocking UDP socket to addr; network is "udp4"
// or "udp6" (IPv6 only, as net.ListenUDP makes it).
func listenUDP(network string, addr netip.AddrPort) (*udpConn, error) {
	v6 := network == "udp6"
	family := unix.AF_INET
	if v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("media: socket: %w", err)
	}
	var sa unix.Sockaddr
	if v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("media: IPV6_V6ONLY: %w", err)
		}
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	} else {
		if !addr.Addr().Unmap().Is4() {
			unix.Close(fd)
			return nil, fmt.Errorf("media: bind %s on udp4: %w", addr, unix.EAFNOSUPPORT)
		}
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().Unmap().As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("media: bind %s: %w", addr, err)
	}
	return &udpConn{fd: fd, v6: v6}, nil
}

// WriteToUDPAddrPort sends b to addr in one sendto(2), allocating nothing.
func (c *udpConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fd < 0 {
		return 0, net.ErrClosed
	}
	var (
		sa4 unix.RawSockaddrInet4
		sa6 unix.RawSockaddrInet6
		sa  unsafe.Pointer
		sl  uintptr
	)
	port := addr.Port() // network order in the sockaddr
	switch {
	case c.v6:
		sa6.Family = unix.AF_INET6
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa6.Port))[:], port)
		sa6.Addr = addr.Addr().As16() // an IPv4 address as ::ffff:a.b.c.d
		sa, sl = unsafe.Pointer(&sa6), unsafe.Sizeof(sa6)
	case addr.Addr().Unmap().Is4():
		sa4.Family = unix.AF_INET
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:], port)
		sa4.Addr = addr.Addr().Unmap().As4()
		sa, sl = unsafe.Pointer(&sa4), unsafe.Sizeof(sa4)
	default:
		return 0, fmt.Errorf("media: send to %s from an IPv4 socket: %w", addr, unix.EAFNOSUPPORT)
	}
	for {
		n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(c.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))),
			uintptr(len(b)), 0, uintptr(sa), sl)
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, errno
	}
}

// Close closes the socket once no write is under way; it must have left
// the poller first (Bridge.Close does that).
func (c *udpConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return net.ErrClosed
	}
	err := unix.Close(c.fd)
	c.fd = -1
	if err != nil {
		return fmt.Errorf("media: close socket: %w", err)
	}
	return nil
}

// descriptor is the socket's fd for the poller, or -1 once closed.
func (c *udpConn) descriptor() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.fd
}
