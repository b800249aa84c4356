package guard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// tcpServer is a guarded listener on 127.0.0.1 whose accepted
// connections arrive on a channel.
type tcpServer struct {
	l        net.Listener
	accepted chan net.Conn
}

func startTCPServer(t *testing.T, g *Guard) *tcpServer {
	t.Helper()
	raw, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tcpServer{l: g.WrapListener(raw), accepted: make(chan net.Conn, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.l.Accept()
			if err != nil {
				return
			}
			s.accepted <- c
		}
	}()
	t.Cleanup(func() {
		_ = s.l.Close()
		<-done
		close(s.accepted)
		for c := range s.accepted {
			_ = c.Close()
		}
	})
	return s
}

func (s *tcpServer) dial(t *testing.T, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp4", s.l.Addr().String())
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // hang guard only
	return c
}

func (s *tcpServer) next(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-s.accepted:
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
		return nil
	}
}

// closedByServer reports whether c's peer closed it.
func closedByServer(c net.Conn) bool {
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func TestListenerRefusesBannedSourceAndKeepsAccepting(t *testing.T) {
	h := newHarness(t, nil, nil)
	srv := startTCPServer(t, h.g)
	if err := h.g.Ban(context.Background(), netip.MustParseAddr("127.0.0.2"), "x", time.Minute); err != nil {
		t.Fatal(err)
	}
	banned := srv.dial(t, "127.0.0.2")
	if !closedByServer(banned) {
		t.Error("connection from banned source left open")
	}
	ok := srv.dial(t, "127.0.0.3")
	c := srv.next(t)
	if got := addrIP(c.RemoteAddr()); got != netip.MustParseAddr("127.0.0.3") {
		t.Fatalf("accepted %v, want 127.0.0.3 (the banned one must never be handed out)", got)
	}
	if _, err := ok.Write([]byte("OPTIONS sip:x SIP/2.0\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if n, err := c.Read(buf); err != nil || n == 0 {
		t.Fatalf("read from admitted source: %d, %v", n, err)
	}
	if v := h.dropped(t, "banned"); v != 1 {
		t.Errorf("dropped{banned} = %v, want 1", v)
	}
}

func TestListenerClosesConnectionWhenItsSourceIsBanned(t *testing.T) {
	h := newHarness(t, nil, nil)
	srv := startTCPServer(t, h.g)
	client := srv.dial(t, "127.0.0.2")
	c := srv.next(t)
	if err := h.g.Ban(context.Background(), netip.MustParseAddr("127.0.0.2"), "x", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("REGISTER sip:x SIP/2.0\r\n")); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(make([]byte, 100))
	if n != 0 || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after ban = %d, %v; want 0 and an error wrapping net.ErrClosed", n, err)
	}
	if !closedByServer(client) {
		t.Error("client still connected")
	}
}

func TestListenerDisconnectsSourceOverItsRate(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Burst = 2; c.FloodBan = false })
	srv := startTCPServer(t, h.g)
	client := srv.dial(t, "127.0.0.2") // token 1
	c := srv.next(t)
	buf := make([]byte, 100)
	if _, err := client.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(buf); err != nil { // token 2
		t.Fatalf("first read: %v", err)
	}
	if _, err := client.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read over rate: %v, want closed", err)
	}
	if v := h.dropped(t, "rate"); v != 1 {
		t.Errorf("dropped{rate} = %v, want 1", v)
	}
}

func TestListenerClosesScanner(t *testing.T) {
	h := newHarness(t, nil, nil)
	srv := startTCPServer(t, h.g)
	client := srv.dial(t, "127.0.0.2")
	c := srv.next(t)
	if _, err := client.Write([]byte(sipRequest("User-Agent: friendly-scanner\r\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 4096)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read of scanner request: %v, want closed", err)
	}
	if v := h.dropped(t, "scanner"); v != 1 {
		t.Errorf("dropped{scanner} = %v, want 1", v)
	}
}

func TestListenerHandsAllowListedPeersThePlainConnection(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Burst = 1 })
	srv := startTCPServer(t, h.g)
	srv.dial(t, "127.0.0.9")
	srv.dial(t, "127.0.0.9")
	c := srv.next(t)
	if _, wrapped := c.(*streamConn); wrapped {
		t.Error("allow-listed connection wrapped")
	}
	srv.next(t) // the second one was not rate-limited
}
