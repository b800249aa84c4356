package system_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/tests/testpbx"
)

// readSIP reads one SIP message from a stream: the start line and headers
// up to the blank line, then Content-Length bytes of body.
func readSIP(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	tp := textproto.NewReader(r)
	line, err := tp.ReadLine()
	if err != nil {
		t.Fatalf("read start line: %v", err)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("read headers: %v", err)
	}
	var b strings.Builder
	b.WriteString(line + "\r\n")
	for k, vs := range hdr {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if n, _ := strconv.Atoi(hdr.Get("Content-Length")); n > 0 {
		body := make([]byte, n)
		if _, err := r.Read(body); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\r\n" + string(body))
	}
	return b.String()
}

// SIP over TLS (sip.tls with sip.tls_cert): a phone completes a digest
// registration on a TLS 1.2+ connection, and the binding is kept with
// transport TLS.
func TestSIPOverTLS(t *testing.T) {
	t.Parallel()
	p, addr, pool := tlsPBX(t)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 167, 1)}},
		"tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS handshake with the SIP listener: %v", err)
	}
	defer conn.Close()
	if v := conn.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x, want 1.2 or later", v)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(conn)
	local := conn.LocalAddr().String()
	reg := func(branch, auth string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "REGISTER sip:127.0.0.1;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK%s;rport\r\n", local, branch)
		b.WriteString("Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=tls1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: tls1@test\r\n")
		fmt.Fprintf(&b, "CSeq: %d REGISTER\r\nContact: <sip:1001@%s;transport=tls>\r\nExpires: 600\r\n", len(branch), local)
		if auth != "" {
			b.WriteString("Authorization: " + auth + "\r\n")
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		return readSIP(t, rd)
	}
	ch := reg("t1", "")
	if !strings.HasPrefix(ch, "SIP/2.0 401 ") {
		t.Fatalf("REGISTER over TLS without credentials: %s", ch)
	}
	nonce := nonceRE.FindStringSubmatch(ch)[1]
	ha1 := md5hex("1001:yimen:" + p.Secrets["1001"])
	ha2 := md5hex("REGISTER:sip:127.0.0.1;transport=tls")
	resp := md5hex(ha1 + ":" + nonce + ":00000001:tc:auth:" + ha2)
	auth := fmt.Sprintf(`Digest username="1001", realm="yimen", nonce="%s", uri="sip:127.0.0.1;transport=tls", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="tc"`, nonce, resp)
	if res := reg("t22", auth); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("REGISTER over TLS with credentials: %s", res)
	}
	var regs []struct {
		Extension string `json:"extension"`
		Transport string `json:"transport"`
	}
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 1 || regs[0].Extension != "1001" || !strings.EqualFold(regs[0].Transport, "tls") {
		t.Errorf("registrations = %+v, want 1001 over TLS", regs)
	}

	// The TLS port does not speak plain SIP.
	plain, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(3 * time.Second))
	plain.Write([]byte("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKp\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\nCall-ID: p@t\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
	if line, _ := bufio.NewReader(plain).ReadString('\n'); strings.HasPrefix(line, "SIP/2.0") {
		t.Errorf("plain SIP answered on the TLS port: %q", line)
	}
}

// tlsPBX is a PBX with a SIP-TLS listener (a self-signed certificate):
// it returns the listener's address and the pool that trusts it.
func tlsPBX(t *testing.T) (*testpbx.PBX, string, *x509.CertPool) { return securePBX(t, "tls") }

// securePBX is a PBX with a SIP listener on network ("tls" or "wss") under
// a self-signed certificate.
func securePBX(t *testing.T, network string) (*testpbx.PBX, string, *x509.CertPool) {
	t.Helper()
	certFile, keyFile, pool := testpbx.SelfSigned(t)
	p := testpbx.Start(t, func(c *config.Config) {
		addr := net.JoinHostPort(testpbx.Host(c), "0")
		if network == "wss" {
			c.SIP.WSS = addr
		} else {
			c.SIP.TLS = addr
		}
		c.SIP.TLSCert, c.SIP.TLSKey = certFile, keyFile
	})
	addr := p.Server.ListenAddrs()[network]
	if addr == "" {
		t.Fatalf("no %s listener among %v", network, p.Server.ListenAddrs())
	}
	return p, addr, pool
}

// SIP over secure WebSocket (sip.wss), as a browser agent bar on https
// speaks it: the REGISTER is challenged like any other.
func TestSIPOverSecureWebSocket(t *testing.T) {
	t.Parallel()
	_, addr, pool := securePBX(t, "wss")
	d := websocket.Dialer{Subprotocols: []string{"sip"}, HandshakeTimeout: 5 * time.Second,
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	conn, res, err := d.Dial("wss://"+addr, http.Header{})
	if err != nil {
		t.Fatalf("dial wss: %v (%v)", err, res)
	}
	defer conn.Close()
	if conn.Subprotocol() != "sip" {
		t.Errorf("subprotocol = %q", conn.Subprotocol())
	}
	registerChallenged(t, conn, "WSS")
	// Without TLS the handshake fails.
	if c, _, err := (&websocket.Dialer{Subprotocols: []string{"sip"}, HandshakeTimeout: 3 * time.Second}).Dial("ws://"+addr, nil); err == nil {
		c.Close()
		t.Error("plain ws accepted on the wss port")
	}
}

// The CTI over WSS: with http.tls_cert the websocket at /cti is only
// reachable over TLS, and a client there subscribes as over ws.
func TestCTIOverWSS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := testpbx.SelfSigned(t)
	p := testpbx.Start(t, func(c *config.Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = certFile, keyFile })
	token := p.CTIToken(t, "system")
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	cl, err := cticlient.Dial(t.Context(), "wss://"+p.HTTPAddr()+"/cti", cticlient.Options{Token: token, Dialer: d})
	if err != nil {
		t.Fatalf("CTI over wss: %v", err)
	}
	defer cl.Close()
	if _, err := cl.Subscribe(t.Context(), "tenant"); err != nil {
		t.Fatalf("subscribe over wss: %v", err)
	}
	if c, err := cticlient.Dial(t.Context(), "ws://"+p.HTTPAddr()+"/cti", cticlient.Options{Token: token}); err == nil {
		c.Close()
		t.Error("CTI over plain ws accepted on the TLS port")
	}
}
