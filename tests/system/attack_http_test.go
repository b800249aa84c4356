package system_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/yimen/yimen/tests/testpbx"
)

// slowPBX is a PBX whose HTTP listener cuts slow clients after 1 s of
// headers, 2 s of request and 2 s idle, so the attacks below are quick.
func slowPBX(t *testing.T) *testpbx.PBX {
	return testpbx.Start(t, func(c *cfgT) {
		c.HTTP.ReadHeaderTimeout, c.HTTP.ReadTimeout, c.HTTP.IdleTimeout = time.Second, 2*time.Second, 2*time.Second
	})
}

// closedWithin reports whether the server closed conn within d, reading
// (and discarding) whatever it sends, while feed keeps trickling bytes.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration, feed string) bool {
	t.Helper()
	stop := make(chan struct{})
	defer close(stop)
	if feed != "" {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := conn.Write([]byte{feed[i%len(feed)]}); err != nil {
					return
				}
			}
		}()
	}
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	// EOF, or a reset when a trickled byte met the closed socket: the
	// server closed it; our own read deadline: it did not.
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// Slow clients hold the admin listener's connections open: a body sent a
// byte at a time, or a kept-alive connection left idle, was never cut (only
// the headers had a deadline), so a few thousand of them exhaust the
// process's file descriptors. The header, request and idle timeouts close
// each; a CTI websocket on the same listener outlives all of them.
func TestAttackSlowHTTPClients(t *testing.T) {
	t.Parallel()
	p := slowPBX(t)
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", p.HTTPAddr(), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	cl := p.DialCTI(t, p.CTIToken(t, "system"))

	// Headers that never end.
	c := dial()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: pbx\r\n")
	if !closedWithin(t, c, 4*time.Second, "X-Slow: a\r\n") {
		t.Error("a client that never finishes its headers was not cut")
	}
	// A body that never ends.
	c = dial()
	io.WriteString(c, "POST /api/v1/login HTTP/1.1\r\nHost: pbx\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{")
	if !closedWithin(t, c, 5*time.Second, `"aaaa`) {
		t.Error("a client that never finishes its body was not cut")
	}
	// A kept-alive connection left idle after one request.
	c = dial()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: pbx\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	if !closedWithin(t, c, 5*time.Second, "") {
		t.Error("an idle kept-alive connection was not closed")
	}

	// Several seconds past every timeout, the websocket still works.
	select {
	case <-cl.Done():
		t.Fatalf("the CTI websocket was cut: %v", cl.Err())
	default:
	}
	if _, err := cl.Subscribe(t.Context(), "tenant"); err != nil {
		t.Errorf("CTI websocket after the HTTP timeouts: %v", err)
	}
}
