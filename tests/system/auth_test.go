package system_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// The SIPp call scenarios accept an optional challenge so that they also
// run against a bare SIPp peer, and the harness requires one per call
// (requireChallenge). This test proves the refusal itself: an INVITE
// without credentials, or with a digest of the wrong password, gets a 407
// and never reaches the callee.
func TestUnauthenticatedInviteIsRefused(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	p := testpbx.Start(t)
	callee := p.Callee(t, "1002", "127.0.166.2", "uas_answer.xml", false, nil)

	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 166, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", p.SIPAddr())
	local := conn.LocalAddr().(*net.UDPAddr)
	invite := func(n int, auth string) string {
		var b strings.Builder
		sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 %[1]s\r\ns=-\r\nc=IN IP4 %[1]s\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n", local.IP)
		fmt.Fprintf(&b, "INVITE sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKnoauth%d;rport\r\n", local, n)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=na%d\r\nTo: <sip:1002@127.0.0.1>\r\n", n)
		fmt.Fprintf(&b, "Call-ID: noauth%d@test\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@%s>\r\n", n, local)
		if auth != "" {
			b.WriteString("Proxy-Authorization: " + auth + "\r\n")
		}
		fmt.Fprintf(&b, "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(sdp), sdp)
		return b.String()
	}
	// final sends msg and returns the first final response, past any 1xx.
	final := func(msg string) string {
		t.Helper()
		res := rawSIP(t, conn, to, msg)
		buf := make([]byte, 8192)
		for strings.HasPrefix(res, "SIP/2.0 1") {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("no final response after %q: %v", status(res), err)
			}
			res = string(buf[:n])
		}
		return res
	}
	ack := func(n int, res string) {
		toHdr := regexp.MustCompile(`(?mi)^To:[^\r\n]*`).FindString(res)
		msg := fmt.Sprintf("ACK sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKnoauth%d;rport\r\nMax-Forwards: 70\r\n"+
			"From: <sip:1001@127.0.0.1>;tag=na%d\r\n%s\r\nCall-ID: noauth%d@test\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", local, n, n, toHdr, n)
		if _, err := conn.WriteToUDP([]byte(msg), to); err != nil {
			t.Fatal(err)
		}
	}

	res := final(invite(1, ""))
	if !strings.HasPrefix(res, "SIP/2.0 407 ") || !regexp.MustCompile(`(?mi)^Proxy-Authenticate:\s*Digest .*nonce="`).MatchString(res) {
		t.Fatalf("INVITE without credentials: want 407 with a Proxy-Authenticate digest challenge, got:\n%s", res)
	}
	ack(1, res)
	nonce := nonceRE.FindStringSubmatch(res)[1]
	ha1 := md5hex("1001:yimen:not-the-password")
	ha2 := md5hex("INVITE:sip:1002@127.0.0.1")
	resp := md5hex(ha1 + ":" + nonce + ":00000001:na:auth:" + ha2)
	auth := fmt.Sprintf(`Digest username="1001", realm="yimen", nonce="%s", uri="sip:1002@127.0.0.1", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="na"`, nonce, resp)
	res = final(invite(2, auth))
	if code := status(res); !strings.HasPrefix(code, "SIP/2.0 407 ") && !strings.HasPrefix(code, "SIP/2.0 403 ") {
		t.Fatalf("INVITE with a wrong password: want 407 or 403, got:\n%s", res)
	}
	ack(2, res)

	// The callee saw nothing: SIPp counts every call it received.
	got, err := callee.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if got.Calls != 0 {
		t.Errorf("the callee received %d calls from unauthenticated INVITEs", got.Calls)
	}
	if n := p.Metric(t, "yimen_sip_auth_failures_total", nil); n < 1 {
		t.Errorf("auth failures counted = %v, want the wrong password counted", n)
	}
}
