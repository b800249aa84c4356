package system_test

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/yimen/yimen/tests/testpbx"
)

// Garbage, truncated and oversized messages are dropped without harm: the PBX
// keeps answering, and a bad SDP body gets a clear 400.
func TestMalformedSIPAndSDP(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 14, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", p.SIPAddr())
	junk := [][]byte{
		[]byte("\x00\x01\x02garbage"),
		[]byte("INVITE sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n"), // truncated
		[]byte("REGISTER sip:127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nabc"),
		bytes.Repeat([]byte("A"), 60000),                                       // over max_message_bytes
		[]byte("SIP/2.0 200 OK\r\nCall-ID: nothing\r\nCSeq: 1 INVITE\r\n\r\n"), // stray response
		[]byte("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:\xff\xfe>\r\nCall-ID: x\r\nCSeq: abc OPTIONS\r\nContent-Length: 0\r\n\r\n"),
	}
	for _, j := range junk {
		if _, err := conn.WriteToUDP(j, to); err != nil {
			t.Fatal(err)
		}
	}
	local := conn.LocalAddr().String()
	opt := "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bKok1\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe1@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if res := rawSIP(t, conn, to, opt); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("PBX stopped answering after junk: %s", res)
	}
	if got := p.Metric(t, "yimen_guard_dropped_total", map[string]string{"reason": "too_big"}); got != 1 {
		t.Errorf("oversized datagram drops = %v, want 1", got)
	}

	// An authenticated INVITE whose SDP is malformed gets 400 and a CDR saying why.
	res := p.Call(t, "1001", "127.0.14.2", expectScenario(t, 400, "m=audio notaport RTP/AVP 8\r\n"), "1002", nil)
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	if c := lastCDR(t, p, 1); c.SIPCode != 400 || c.Disposition != "failed" {
		t.Errorf("CDR = %+v", c)
	}
}
