package system_test

import (
	"bufio"
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

// tcpExchange writes msg on conn and reads one SIP message back.
func tcpExchange(t *testing.T, conn net.Conn, r *bufio.Reader, msg string) string {
	t.Helper()
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	tp := textproto.NewReader(r)
	first, err := tp.ReadLine()
	if err != nil {
		t.Fatalf("no response to:\n%s\nerr: %v", msg, err)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(hdr.Get("Content-Length"))
	body := make([]byte, n)
	if _, err := r.Read(body); n > 0 && err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(first + "\r\n")
	for k, vs := range hdr {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	return b.String()
}

// registerTCP registers user over a TCP connection from ip with the given
// Contact, answering the digest challenge, and returns the connection and
// the final response.
func registerTCP(t *testing.T, p *testpbx.PBX, ip, user, contact string) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 3 * time.Second}
	conn, err := d.Dial("tcp", p.Server.ListenAddrs()["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	msg := func(n int, auth string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bKtcpreg%d\r\n", conn.LocalAddr(), n)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@127.0.0.1>;tag=tr%d\r\nTo: <sip:%s@127.0.0.1>\r\n", user, n, user)
		fmt.Fprintf(&b, "Call-ID: tcpreg-%s@test\r\nCSeq: %d REGISTER\r\nContact: %s\r\nExpires: 600\r\n", ip, n, contact)
		if auth != "" {
			b.WriteString("Authorization: " + auth + "\r\n")
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		return b.String()
	}
	ch := tcpExchange(t, conn, r, msg(1, ""))
	if !strings.HasPrefix(ch, "SIP/2.0 401 ") {
		t.Fatalf("REGISTER without credentials: want 401, got:\n%s", ch)
	}
	nonce := nonceRE.FindStringSubmatch(ch)[1]
	ha1 := md5hex(user + ":yimen:" + p.Secrets[user])
	resp := md5hex(ha1 + ":" + nonce + ":00000001:rc:auth:" + md5hex("REGISTER:sip:127.0.0.1"))
	auth := fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="sip:127.0.0.1", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="rc"`,
		user, nonce, resp)
	return conn, tcpExchange(t, conn, r, msg(2, auth))
}

// A registered account names an internal host as its Contact and makes
// the PBX send its INVITEs there (SSRF): over TCP, once the account's
// connection was gone, the PBX connected to the Contact's address. Now a
// Contact on another host than the REGISTER's is used only inside
// sip.contact_networks, and a metadata or link-local Contact is refused.
func TestAttackRegisterContactAimsAtInternalHost(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	p := testpbx.Start(t, func(c *cfgT) { c.Calls.RingTimeout = 3 * time.Second })

	// The cloud metadata service as a Contact: refused outright.
	phone := newRegPhone(t, p, "127.0.212.1", "1003")
	if res := phone.register(1, "600", "<sip:1003@169.254.169.254:80>"); !strings.HasPrefix(res, "SIP/2.0 403 ") || !strings.Contains(res, "contact address not allowed") {
		t.Errorf("REGISTER with the metadata address as Contact: want 403 naming the contact, got\n%s", status(res))
	}

	// An internal service the attacker cannot reach itself.
	internal, err := net.Listen("tcp", "127.0.212.9:0")
	if err != nil {
		t.Fatal(err)
	}
	defer internal.Close()
	reached := make(chan string, 4)
	go func() {
		for {
			c, err := internal.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 256)
			n, _ := c.Read(buf)
			reached <- string(buf[:n])
			c.Close()
		}
	}()
	conn, res := registerTCP(t, p, "127.0.212.2", "1002", fmt.Sprintf("<sip:1002@%s;transport=tcp>", internal.Addr()))
	if !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("REGISTER over TCP: %s", status(res))
	}
	conn.Close()
	time.Sleep(500 * time.Millisecond) // the PBX sees the connection closed

	if err := p.Call(t, "1001", "127.0.212.3", expectScenario(t, 480, ""), "1002", nil).Check(1); err != nil {
		t.Errorf("a call to the account whose connection is gone: %v (want 480: nowhere to send it)", err)
	}
	select {
	case got := <-reached:
		t.Errorf("the PBX connected to the internal host named in the Contact and sent:\n%.80s", got)
	case <-time.After(200 * time.Millisecond):
	}
}
