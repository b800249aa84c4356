package system_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/yimen/yimen/tests/testpbx"
)

// SIP over WebSocket (RFC 7118), as browsers' agent bars speak it: a REGISTER
// on the ws listener is challenged like any other.
func TestSIPOverWebSocket(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) { c.SIP.WS = "127.0.0.1:0" })
	addr := p.Server.ListenAddrs()["ws"]
	if addr == "" {
		t.Fatal("no ws listener")
	}
	d := websocket.Dialer{Subprotocols: []string{"sip"}, HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.Dial("ws://"+addr, http.Header{})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	defer conn.Close()
	if conn.Subprotocol() != "sip" {
		t.Errorf("subprotocol = %q", conn.Subprotocol())
	}
	registerChallenged(t, conn, "WS")
}

// registerChallenged sends a REGISTER without credentials over a SIP
// websocket (via is WS or WSS) and requires the digest challenge.
func registerChallenged(t *testing.T, conn *websocket.Conn, via string) {
	t.Helper()
	msg := "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/" + via + " df7jal23ls0d.invalid;branch=z9hG4bKws1;rport\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=ws1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: ws1@test\r\n" +
		"CSeq: 1 REGISTER\r\nContact: <sip:1001@df7jal23ls0d.invalid;transport=ws>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n"
	if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, reply, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(reply), "SIP/2.0 401 ") || !strings.Contains(string(reply), `realm="yimen"`) {
		t.Fatalf("reply over %s = %s", via, reply)
	}
}
