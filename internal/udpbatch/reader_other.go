//go:build !linux

package udpbatch

import (
	"net"
	"net/netip"
	"sync"
)

// Reader hands out a UDP socket's datagrams one at a time; off Linux it
// reads them one per system call. Safe for concurrent use.
type Reader struct {
	c   *net.UDPConn
	mu  sync.Mutex
	buf []byte
}

// NewReader reads c into a buffer of bufLen bytes (size is ignored).
func NewReader(c *net.UDPConn, size, bufLen int) (*Reader, error) {
	return &Reader{c: c, buf: make([]byte, bufLen)}, nil
}

// Next calls fn with datagrams until it says to return, or the socket
// fails; see the Linux version.
func (r *Reader) Next(fn func(d, buf []byte, src netip.AddrPort) bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		n, src, err := r.c.ReadFromUDPAddrPort(r.buf)
		if err != nil {
			return err
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if fn(r.buf[:n], r.buf, src) {
			return nil
		}
	}
}
