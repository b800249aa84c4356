package system_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// tlsConn is one TLS connection a hand-written phone opened to the PBX,
// read message by message.
type tlsConn struct {
	t    *testing.T
	conn *tls.Conn
	rd   *bufio.Reader
}

// sipMsg is a message read off a stream: start line, headers, body.
type sipMsg struct {
	start string
	hdr   textproto.MIMEHeader
	body  string
}

func dialTLSFlow(t *testing.T, addr, ip string, pool *x509.CertPool) *tlsConn {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}},
		"tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS to the SIP listener: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &tlsConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

func (c *tlsConn) send(msg string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message within d, or nil when none came.
func (c *tlsConn) read(d time.Duration) *sipMsg {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(d))
	tp := textproto.NewReader(c.rd)
	line, err := tp.ReadLine()
	if err != nil {
		return nil
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		c.t.Fatalf("headers after %q: %v", line, err)
	}
	m := &sipMsg{start: line, hdr: hdr}
	if n, _ := strconv.Atoi(hdr.Get("Content-Length")); n > 0 {
		body := make([]byte, n)
		if _, err := c.rd.Read(body); err != nil {
			c.t.Fatal(err)
		}
		m.body = string(body)
	}
	return m
}

// readRequest returns the next request with method, skipping responses.
func (c *tlsConn) readRequest(method string, d time.Duration) *sipMsg {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m := c.read(time.Until(deadline))
		if m == nil {
			break
		}
		if strings.HasPrefix(m.start, method+" ") {
			return m
		}
	}
	return nil
}

// response builds a response to req; toTag is added to To when set.
func response(req *sipMsg, status, toTag, contact, body string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	for _, v := range req.hdr.Values("Via") {
		b.WriteString("Via: " + v + "\r\n")
	}
	to := req.hdr.Get("To")
	if toTag != "" && !strings.Contains(to, "tag=") {
		to += ";tag=" + toTag
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n", req.hdr.Get("From"), to, req.hdr.Get("Call-Id"), req.hdr.Get("Cseq"))
	if contact != "" {
		b.WriteString("Contact: " + contact + "\r\n")
	}
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// registerTLSFlow registers ext over c with digest credentials, its
// Contact an address nothing listens on (as a phone behind NAT).
func (c *tlsConn) registerTLSFlow(p *testpbx.PBX, ext string) {
	c.t.Helper()
	local := c.conn.LocalAddr().String()
	reg := func(cseq int, auth string) *sipMsg {
		var b strings.Builder
		fmt.Fprintf(&b, "REGISTER sip:127.0.0.1;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bKflow%d;rport\r\n", local, cseq)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@127.0.0.1>;tag=flow\r\nTo: <sip:%s@127.0.0.1>\r\nCall-ID: flow-%s@test\r\n", ext, ext, ext)
		fmt.Fprintf(&b, "CSeq: %d REGISTER\r\nContact: <sip:%s@%s;transport=tls>\r\nExpires: 600\r\n", cseq, ext, local)
		if auth != "" {
			b.WriteString("Authorization: " + auth + "\r\n")
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		c.send(b.String())
		return c.read(5 * time.Second)
	}
	ch := reg(1, "")
	if ch == nil || !strings.HasPrefix(ch.start, "SIP/2.0 401 ") {
		c.t.Fatalf("REGISTER without credentials: %+v", ch)
	}
	nonce := nonceRE.FindStringSubmatch(ch.hdr.Get("Www-Authenticate"))[1]
	ha1 := md5hex(ext + ":yimen:" + p.Secrets[ext])
	ha2 := md5hex("REGISTER:sip:127.0.0.1;transport=tls")
	resp := md5hex(ha1 + ":" + nonce + ":00000001:fc:auth:" + ha2)
	auth := fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="sip:127.0.0.1;transport=tls", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="fc"`, ext, nonce, resp)
	if res := reg(2, auth); res == nil || !strings.HasPrefix(res.start, "SIP/2.0 200 ") {
		c.t.Fatalf("REGISTER with credentials: %+v", res)
	}
}

// A phone registered over SIP-TLS (written here, so the test decides which
// connection carries what) is called by a SIPp caller on UDP. The INVITE
// comes over the registration connection; the phone answers 180 there and
// its 200 over a second connection it opens, as baresip does; the ACK and,
// when the caller hangs up, the BYE follow the 200 onto the second
// connection, each with a Content-Length. With the second connection
// closed, a new call's INVITE comes over the registration connection
// again; with that one closed too, a call is refused 480 at once.
func TestTLSPhoneIsCalledOverItsFlow(t *testing.T) {
	t.Parallel()
	p, addr, pool := tlsPBX(t)
	const phoneIP = "127.0.168.3"
	reg := dialTLSFlow(t, addr, phoneIP, pool)
	reg.registerTLSFlow(p, "1003")

	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.168.1", sipp.Scenario("uac_call.xml"), "1003", map[string]string{"talk_ms": "1500"})
	}()
	inv := reg.readRequest("INVITE", 10*time.Second)
	if inv == nil {
		t.Fatal("no INVITE over the registration connection")
	}
	reg.send(response(inv, "180 Ringing", "flow3", "", ""))
	answer := dialTLSFlow(t, addr, phoneIP, pool)
	sdpBody := "v=0\r\no=flow 1 1 IN IP4 127.0.168.3\r\ns=-\r\nc=IN IP4 127.0.168.3\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
	answer.send(response(inv, "200 OK", "flow3", "<sip:1003@"+answer.conn.LocalAddr().String()+";transport=tls>", sdpBody))
	ack := answer.readRequest("ACK", 5*time.Second)
	if ack == nil {
		t.Fatal("no ACK over the connection the 200 came on")
	}
	if ack.hdr.Get("Content-Length") != "0" {
		t.Errorf("ACK Content-Length %q, want 0", ack.hdr.Get("Content-Length"))
	}
	bye := answer.readRequest("BYE", 10*time.Second)
	if bye == nil {
		t.Fatal("no BYE over the connection the dialog follows")
	}
	answer.send(response(bye, "200 OK", "", "", ""))
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	if c := lastCDR(t, p, 1); c.Disposition != "answered" || c.Callee != "1003" || c.HangupSide != "caller" {
		t.Errorf("CDR = %+v", c)
	}

	// The answering connection closed: the registration's still carries a new call.
	answer.conn.Close()
	go func() {
		done <- p.Call(t, "1001", "127.0.168.1", expectScenario(t, 486, ""), "1003", nil)
	}()
	if inv = reg.readRequest("INVITE", 10*time.Second); inv == nil {
		t.Fatal("second call: no INVITE over the registration connection")
	}
	reg.send(response(inv, "486 Busy Here", "flow4", "", ""))
	if ack := reg.readRequest("ACK", 5*time.Second); ack == nil {
		t.Error("second call: the 486 was not acknowledged over the registration connection")
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}

	// No connection left: refused at once, not dialled.
	reg.conn.Close()
	time.Sleep(200 * time.Millisecond) // the PBX sees the close
	start := time.Now()
	if err := p.Call(t, "1001", "127.0.168.1", expectScenario(t, 480, ""), "1003", nil).Check(1); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the refusal took %v", took)
	}
}
