package sipstateless

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// server is a Conn on a loopback socket with a reader standing in for
// sipgo: what ReadFrom returns lands in passed.
type server struct {
	c      *Conn
	addr   *net.UDPAddr
	passed chan string
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, h Handler, cfg Config) *server {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg.Method = sip.REGISTER
	s := &server{c: Wrap(pc, h, cfg, slog.New(slog.NewTextHandler(logs, nil))), addr: pc.LocalAddr().(*net.UDPAddr), passed: make(chan string, 16), logs: logs}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, _, err := s.c.ReadFrom(buf)
			if err != nil {
				return
			}
			s.passed <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { s.c.Close(); <-done })
	return s
}

type client struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr
}

func dial(t *testing.T, s *server) *client {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, to: s.addr}
}

func (c *client) send(msg string) {
	c.t.Helper()
	if _, err := c.conn.WriteToUDP([]byte(msg), c.to); err != nil {
		c.t.Fatal(err)
	}
}

// recv returns the next datagram, or "" after wait.
func (c *client) recv(wait time.Duration) string {
	buf := make([]byte, 65535)
	c.conn.SetReadDeadline(time.Now().Add(wait))
	n, _, err := c.conn.ReadFromUDP(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

func (c *client) register(branch string, cseq int) string {
	return fmt.Sprintf("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s;rport\r\nMax-Forwards: 70\r\n"+
		"From: <sip:1001@127.0.0.1>;tag=f1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: call-1@test\r\nCSeq: %d REGISTER\r\n"+
		"Contact: <sip:1001@%s>\r\nContent-Length: 0\r\n\r\n", c.conn.LocalAddr(), branch, cseq, c.conn.LocalAddr())
}

// counting answers 200 with a To-tag and a header that differs per call,
// so a resent answer can be told from a new one.
func counting(calls *atomic.Int64) Handler {
	return func(_ context.Context, req *sip.Request) *sip.Response {
		n := calls.Add(1)
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("X-Answer", fmt.Sprint(n)))
		return res
	}
}

// A retransmitted REGISTER gets the same bytes again without a second run
// of the handler; a new transaction (another branch) is answered afresh;
// once the answer is older than Keep a copy is answered afresh too.
func TestRetransmissionGetsTheSameAnswer(t *testing.T) {
	var calls atomic.Int64
	s := startServer(t, counting(&calls), Config{Keep: time.Hour})
	c := dial(t, s)
	req := c.register("z9hG4bK-one", 1)
	c.send(req)
	first := c.recv(2 * time.Second)
	if !strings.HasPrefix(first, "SIP/2.0 200 OK\r\n") || !strings.Contains(first, "X-Answer: 1") {
		t.Fatalf("first answer:\n%s", first)
	}
	if !strings.Contains(first, "received=127.0.0.1") || !strings.Contains(first, fmt.Sprintf("rport=%d", c.conn.LocalAddr().(*net.UDPAddr).Port)) {
		t.Errorf("answer's Via lacks received/rport from the source:\n%s", first)
	}
	c.send(req)
	if again := c.recv(2 * time.Second); again != first {
		t.Fatalf("retransmission answered with:\n%s\nwant the first answer again:\n%s", again, first)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times for one transaction", n)
	}
	c.send(c.register("z9hG4bK-two", 2))
	if next := c.recv(2 * time.Second); !strings.Contains(next, "X-Answer: 2") {
		t.Errorf("a new transaction got:\n%s", next)
	}
	st := s.c.Stats()
	if st.Resent != 1 || st.Answered != 2 {
		t.Errorf("stats %+v, want 1 resent, 2 answered", st)
	}

	// Past Keep the answer is forgotten: the copy is a new request to the handler.
	s.c.answers.mu.Lock()
	s.c.answers.keep = 0
	s.c.answers.mu.Unlock()
	time.Sleep(time.Millisecond)
	c.send(req)
	if late := c.recv(2 * time.Second); !strings.Contains(late, "X-Answer: 3") {
		t.Errorf("a copy after Keep got:\n%s", late)
	}
}

// A copy that arrives while the first is being answered is dropped; the
// client gets one answer.
func TestRetransmissionWhileAnsweringIsDropped(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	var calls atomic.Int64
	h := func(ctx context.Context, req *sip.Request) *sip.Response {
		entered <- struct{}{}
		<-release
		return counting(&calls)(ctx, req)
	}
	s := startServer(t, h, Config{Workers: 2})
	c := dial(t, s)
	req := c.register("z9hG4bK-slow", 1)
	c.send(req)
	<-entered
	c.send(req)
	deadline := time.Now().Add(2 * time.Second)
	for s.c.Stats().InFlight == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if got := c.recv(2 * time.Second); !strings.Contains(got, "X-Answer: 1") {
		t.Fatalf("answer:\n%s", got)
	}
	if extra := c.recv(200 * time.Millisecond); extra != "" {
		t.Errorf("a second answer:\n%s", extra)
	}
	if st := s.c.Stats(); st.InFlight != 1 || calls.Load() != 1 {
		t.Errorf("stats %+v, handler ran %d times; want 1 dropped in flight, one run", st, calls.Load())
	}
}

// Other methods and responses pass through to the reader untouched.
func TestOtherMessagesPassThrough(t *testing.T) {
	var calls atomic.Int64
	s := startServer(t, counting(&calls), Config{})
	c := dial(t, s)
	for _, m := range []string{
		"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKo\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKr\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
		"REGISTERX sip:127.0.0.1 SIP/2.0\r\n\r\n",
		"\r\n\r\n",
	} {
		c.send(m)
		select {
		case got := <-s.passed:
			if got != m {
				t.Errorf("passed %q, want %q", got, m)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%q did not reach the reader", m)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("handler ran for another method")
	}
}

// A REGISTER without the headers a transaction needs gets 400 and a log
// line; one that does not parse is dropped with a log line; neither
// reaches the handler.
func TestMalformedRegister(t *testing.T) {
	var calls atomic.Int64
	s := startServer(t, counting(&calls), Config{})
	c := dial(t, s)
	c.send("REGISTER sip:127.0.0.1 SIP/2.0\r\nFrom: <sip:1001@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
	if got := c.recv(2 * time.Second); !strings.HasPrefix(got, "SIP/2.0 400 Bad Request\r\n") || !strings.Contains(got, "Call-ID: x") {
		t.Errorf("REGISTER without Via got:\n%s", got)
	}
	c.send("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKn\r\nCall-ID: y\r\nContent-Length: 0\r\n\r\n")
	if got := c.recv(2 * time.Second); !strings.HasPrefix(got, "SIP/2.0 400 ") {
		t.Errorf("REGISTER without CSeq got:\n%s", got)
	}
	c.send("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: garbage\r\nContent-Length: 99999\r\n\r\nabc")
	if got := c.recv(300 * time.Millisecond); got != "" {
		t.Errorf("unparsable REGISTER answered:\n%s", got)
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.c.Stats().Malformed < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	logs := s.logs.String()
	for _, want := range []string{`msg="sip: malformed request refused" method=REGISTER ip=127.0.0.1 missing=Via`, "missing=CSeq", `msg="sip: unparsable request dropped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("handler ran for a malformed REGISTER")
	}
}

// The cache forgets by age and by count, oldest first.
func TestAnswerCacheBounds(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newAnswerCache(2*time.Second, 3)
	key := func(s string) txKey { return c.keyOf([]byte(s)) }
	if key("0") == key("1") || key("0") != key("0") {
		t.Fatal("keyOf does not tell keys apart")
	}
	for i := range 3 {
		e, _, seen := c.begin(key(fmt.Sprint(i)), now)
		if seen {
			t.Fatalf("%d seen before", i)
		}
		c.finish(e, []byte{byte(i)})
	}
	if _, b, seen := c.begin(key("0"), now); !seen || !bytes.Equal(b, []byte{0}) {
		t.Fatalf("entry 0: %v %v", b, seen)
	}
	c.begin(key("3"), now) // over max: 0 goes
	if _, _, seen := c.begin(key("0"), now); seen {
		t.Errorf("oldest kept past max")
	}
	if _, b, seen := c.begin(key("2"), now.Add(time.Second)); !seen || b[0] != 2 {
		t.Errorf("entry 2 lost early")
	}
	later := now.Add(3 * time.Second)
	if _, _, seen := c.begin(key("2"), later); seen {
		t.Errorf("entry 2 kept past keep")
	}
	if n := c.len(); n != 1 {
		t.Errorf("%d kept after expiry, want only the new one", n)
	}
}

// captureConn stands in for the socket in the fuzz test: reads come from a
// queue, writes are counted.
type captureConn struct {
	net.PacketConn
	writes atomic.Int64
}

func (c *captureConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	c.writes.Add(1)
	return len(b), nil
}

// Whatever follows "REGISTER " on the wire, serve answers or drops it
// without panicking, and the handler sees only requests with Via and CSeq.
func FuzzServe(f *testing.F) {
	f.Add("sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
	f.Add("sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=old\r\nCSeq: 7 REGISTER\r\n\r\n")
	f.Add("sip:x SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:9\r\nCSeq: 1 INVITE\r\nContent-Length: 3\r\n\r\nabc")
	f.Add("\r\n\r\n")
	cc := &captureConn{}
	c := Wrap(cc, func(_ context.Context, req *sip.Request) *sip.Response {
		if req.Via() == nil || req.CSeq() == nil {
			panic("handler given a request without Via or CSeq")
		}
		return sip.NewResponseFromRequest(req, 200, "OK", nil)
	}, Config{Method: sip.REGISTER, Keep: time.Millisecond}, slog.New(slog.DiscardHandler))
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	f.Fuzz(func(t *testing.T, rest string) {
		buf := []byte("REGISTER " + rest)
		c.serve(job{buf: &buf, n: len(buf), from: from})
	})
}
