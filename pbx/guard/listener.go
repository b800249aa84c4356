package guard

import (
	"fmt"
	"net"
	"net/netip"
)

// errPeerDropped ends a guarded TCP connection; it wraps net.ErrClosed so
// the SIP transport treats it as an ordinary close.
var errPeerDropped = fmt.Errorf("guard: peer dropped: %w", net.ErrClosed)

// WrapListener returns l with Accept closing connections from banned or
// flooding sources and accepting on. Each accepted connection re-checks the
// ban list and the token bucket (a token per SIP message) and looks for scanner
// User-Agents; when a check fails the connection is closed and Read
// returns an error wrapping net.ErrClosed. TCP has no message boundaries to
// drop at, so a peer over its rate is disconnected rather than thinned out.
// Allow-listed peers get the plain connection.
func (g *Guard) WrapListener(l net.Listener) net.Listener {
	return &listener{Listener: l, g: g}
}

var (
	_ net.Listener = (*listener)(nil)
	_ net.Conn     = (*streamConn)(nil)
)

// listener is the filtered net.Listener.
type listener struct {
	net.Listener
	g *Guard
}

// Accept returns the next connection the guard admits.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return c, err
		}
		ip := addrIP(c.RemoteAddr())
		if !ip.IsValid() || l.g.allowed(ip) {
			return c, nil
		}
		if key := sourceKey(ip); l.g.admit(key, 1) == verdictPass {
			return &streamConn{Conn: c, g: l.g, ip: key}, nil
		}
		_ = c.Close()
	}
}

// streamConn is a TCP connection the guard keeps watching.
type streamConn struct {
	net.Conn
	g    *Guard
	ip   netip.Addr // the source key
	ends messageEnds
}

// Read returns what the peer sent if the peer still passes the guard.
func (c *streamConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.g.filterStream(c.ip, b[:n], &c.ends) != verdictPass {
		_ = c.Conn.Close()
		return 0, errPeerDropped
	}
	return n, err
}
