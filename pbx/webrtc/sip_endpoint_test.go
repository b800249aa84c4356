package webrtc

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// pbxSide is the B2BUA's end of the endpoint's SIP, a bare UDP socket.
type pbxSide struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr
}

func (p *pbxSide) send(msg string) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDP([]byte(strings.ReplaceAll(msg, "\n", "\r\n")), p.to); err != nil {
		p.t.Fatal(err)
	}
}

// next returns the next message's first line and To header, or "" after within.
func (p *pbxSide) next(within time.Duration) (status, to string) {
	buf := make([]byte, 4096)
	_ = p.conn.SetReadDeadline(time.Now().Add(within))
	n, _, err := p.conn.ReadFromUDP(buf)
	if err != nil {
		return "", ""
	}
	lines := strings.Split(string(buf[:n]), "\r\n")
	for _, l := range lines {
		if strings.HasPrefix(strings.ToLower(l), "to:") {
			to = strings.TrimSpace(l[3:])
		}
	}
	return lines[0], to
}

// endpointUnderTest is a SIP endpoint with one connected session (token
// tok1; autoAnswer: calls are answered at once) and the B2BUA's socket.
func endpointUnderTest(t *testing.T, autoAnswer bool) (*session, *sipEndpoint, *pbxSide, string) {
	t.Helper()
	lo := netip.MustParseAddr("127.0.0.1")
	m := &Manager{cfg: Config{SignalFrom: lo}, log: slog.New(slog.DiscardHandler),
		byAgent: map[string]*session{}, byExt: map[string]*session{}, byToken: map[string]*session{}}
	s := &session{m: m, tenant: "demo", agent: "a1", ext: "1001", token: "tok1", local: netip.MustParseAddrPort("127.0.0.1:40000"),
		codec: pcma, state: StateConnected}
	if autoAnswer {
		s.autoAnswer = time.Now().Add(time.Minute)
	}
	m.byToken[s.token] = s
	e, err := newSIPEndpoint(m, lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	go e.serve()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return s, e, &pbxSide{t: t, conn: conn, to: net.UDPAddrFromAddrPort(e.addr)}, conn.LocalAddr().String()
}

// The browser's SIP endpoint retransmits its 200 OK to an INVITE until the
// B2BUA's ACK arrives (RFC 3261 §13.3.1.4), and stops once it has.
func TestEndpointRetransmitsTheAnswerUntilACK(t *testing.T) {
	_, e, p, local := endpointUnderTest(t, true)
	sdp := "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 30000 RTP/AVP 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n"
	p.send(fmt.Sprintf("INVITE sip:tok1@%s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-inv1\nFrom: <sip:pbx@127.0.0.1>;tag=pbx1\n"+
		"To: <sip:tok1@%s>\nCall-ID: call-1@test\nCSeq: 7 INVITE\nContact: <sip:pbx@%s>\nMax-Forwards: 70\n"+
		"Content-Type: application/sdp\nContent-Length: %d\n\n%s", e.addr, local, e.addr, local, len(strings.ReplaceAll(sdp, "\n", "\r\n")), sdp))

	var oks int
	var to string
	for deadline := time.Now().Add(2 * time.Second); oks < 2 && time.Now().Before(deadline); {
		st, hdr := p.next(time.Until(deadline))
		if strings.HasPrefix(st, "SIP/2.0 200") {
			oks++
			to = hdr
		}
	}
	// Sent at once, then again T1 (0.5 s) later.
	if oks < 2 {
		t.Fatalf("%d 200 OK in 2 s without an ACK, want it retransmitted", oks)
	}
	p.send(fmt.Sprintf("ACK sip:tok1@%s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ack1\nFrom: <sip:pbx@127.0.0.1>;tag=pbx1\n"+
		"To: %s\nCall-ID: call-1@test\nCSeq: 7 ACK\nMax-Forwards: 70\nContent-Length: 0\n\n", e.addr, local, to))
	// Without the ACK the next copy would come 1 s after the second.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		if st, _ := p.next(time.Until(deadline)); strings.HasPrefix(st, "SIP/2.0 200") {
			t.Fatal("200 OK retransmitted after the ACK")
		}
	}
}

// An "answer now" NOTIFY that overtakes the INVITE it answers (each is
// handled on its own goroutine) waits for it and answers it; one for a call
// that never comes is refused 481 once the wait is over.
func TestNotifyAheadOfItsInviteAnswersIt(t *testing.T) {
	s, e, p, local := endpointUnderTest(t, false)
	conn := p.conn
	notify := func(callID, branch string) {
		p.send(fmt.Sprintf("NOTIFY sip:tok1@%s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=%s\nFrom: <sip:pbx@127.0.0.1>;tag=pbx1\n"+
			"To: <sip:tok1@%s>\nCall-ID: %s\nCSeq: 8 NOTIFY\nContact: <sip:pbx@%s>\nEvent: talk\nSubscription-State: active\nMax-Forwards: 70\nContent-Length: 0\n\n",
			e.addr, local, branch, e.addr, callID, local))
	}
	notify("call-2@test", "z9hG4bK-n2")
	time.Sleep(100 * time.Millisecond)
	sdp := "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 30000 RTP/AVP 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n"
	p.send(fmt.Sprintf("INVITE sip:tok1@%s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-inv2\nFrom: <sip:pbx@127.0.0.1>;tag=pbx1\n"+
		"To: <sip:tok1@%s>\nCall-ID: call-2@test\nCSeq: 7 INVITE\nContact: <sip:pbx@%s>\nMax-Forwards: 70\n"+
		"Content-Type: application/sdp\nContent-Length: %d\n\n%s", e.addr, local, e.addr, local, len(strings.ReplaceAll(sdp, "\n", "\r\n")), sdp))
	var notifyOK, inviteOK bool
	buf := make([]byte, 4096)
	for deadline := time.Now().Add(2 * time.Second); !(notifyOK && inviteOK) && time.Now().Before(deadline); {
		_ = conn.SetReadDeadline(deadline)
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			break
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0 200") {
			notifyOK = notifyOK || strings.Contains(msg, "CSeq: 8 NOTIFY")
			inviteOK = inviteOK || strings.Contains(msg, "CSeq: 7 INVITE")
		}
	}
	if !notifyOK || !inviteOK {
		t.Fatalf("NOTIFY answered 200: %v; the INVITE answered 200: %v", notifyOK, inviteOK)
	}

	// The call over (as a BYE leaves it), a NOTIFY for a call that never
	// comes waits, then is refused.
	s.mu.Lock()
	s.call = nil
	s.mu.Unlock()
	start := time.Now()
	notify("call-none@test", "z9hG4bK-n3")
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		st, _ := p.next(time.Until(deadline))
		if strings.HasPrefix(st, "SIP/2.0 481") {
			if waited := time.Since(start); waited < notifyWait/2 {
				t.Errorf("refused after %v, before waiting for its INVITE", waited)
			}
			return
		}
	}
	t.Fatal("a NOTIFY for no call was not refused 481")
}
