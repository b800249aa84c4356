package system_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/tests/testpbx"
)

// rawPeer is a callee written in SIP text over one UDP socket, so a test
// knows its dialog exactly (Call-ID, both tags) and can forge requests in it.
type rawPeer struct {
	t    *testing.T
	conn *net.UDPConn
}

func newRawPeer(t *testing.T, ip string) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, conn: c}
}

func (r *rawPeer) port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

// read returns the next SIP message and where it came from.
func (r *rawPeer) read() (string, *net.UDPAddr) {
	r.t.Helper()
	buf := make([]byte, 8192)
	_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, from, err := r.conn.ReadFromUDP(buf)
	if err != nil {
		r.t.Fatalf("raw peer %s: %v", r.conn.LocalAddr(), err)
	}
	return string(buf[:n]), from
}

func header(msg, name string) string {
	m := regexp.MustCompile(`(?mi)^` + name + `:\s*(.*?)\r?$`).FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	return m[1]
}

// answer answers an INVITE with 200 and SDP (to tag toTag) and waits for the ACK.
func (r *rawPeer) answer(inv string, from *net.UDPAddr, toTag string) {
	r.t.Helper()
	ip := r.conn.LocalAddr().(*net.UDPAddr).IP.String()
	sdp := fmt.Sprintf("v=0\r\no=raw 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n", ip, ip)
	var vias []string
	for _, l := range strings.Split(inv, "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "via:") {
			vias = append(vias, l)
		}
	}
	res := "SIP/2.0 200 OK\r\n" + strings.Join(vias, "\r\n") + "\r\n" +
		"From: " + header(inv, "From") + "\r\nTo: " + header(inv, "To") + ";tag=" + toTag + "\r\n" +
		"Call-ID: " + header(inv, "Call-ID") + "\r\nCSeq: " + header(inv, "CSeq") + "\r\n" +
		fmt.Sprintf("Contact: <sip:1002@%s:%d>\r\n", ip, r.port()) +
		"Content-Type: application/sdp\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(sdp), sdp)
	if _, err := r.conn.WriteToUDP([]byte(res), from); err != nil {
		r.t.Fatal(err)
	}
	for {
		msg, _ := r.read()
		if strings.HasPrefix(msg, "ACK ") {
			return
		}
	}
}

// bye sends a BYE in the dialog of inv from conn, with the given tags, and
// returns the status line of the answer.
func bye(t *testing.T, conn *net.UDPConn, to *net.UDPAddr, inv, fromTag, toTag string) string {
	t.Helper()
	local := conn.LocalAddr().(*net.UDPAddr)
	req := fmt.Sprintf("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\nMax-Forwards: 70\r\n", strings.Trim(header(inv, "Contact"), "<>"), local, time.Now().UnixNano()) +
		"From: <sip:1002@" + local.IP.String() + ">;tag=" + fromTag + "\r\n" +
		"To: " + strings.SplitN(header(inv, "From"), ";tag=", 2)[0] + ";tag=" + toTag + "\r\n" +
		"Call-ID: " + header(inv, "Call-ID") + "\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.WriteToUDP([]byte(req), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no answer to the BYE: %v", err)
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		if !strings.Contains(line, " 100 ") {
			return line
		}
	}
}

// A stranger who learned a call's Call-ID (it crosses every hop in clear
// over UDP) sends BYE: with made-up tags, then with the real tags but from
// its own address. Both get 481 and the call goes on; the callee's own BYE
// ends it.
func TestAttackForgedInDialogBye(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	callee := newRawPeer(t, "127.0.173.2")
	p.Register(t, "1002", "127.0.173.2", callee.port())
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.173.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "15000"})
	}()
	var inv string
	var pbxAddr *net.UDPAddr
	for {
		msg, from := callee.read()
		if strings.HasPrefix(msg, "INVITE ") {
			inv, pbxAddr = msg, from
			break
		}
	}
	const calleeTag = "rawcallee1"
	callee.answer(inv, pbxAddr, calleeTag)
	call := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" })
	pbxTag := strings.SplitN(header(inv, "From"), ";tag=", 2)[1]

	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.173.99")})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	if line := bye(t, stranger, pbxAddr, inv, "madeup", "madeup2"); !strings.Contains(line, " 481 ") {
		t.Fatalf("BYE with forged tags: %s, want 481", line)
	}
	if line := bye(t, stranger, pbxAddr, inv, calleeTag, pbxTag); !strings.Contains(line, " 481 ") {
		t.Fatalf("BYE with the real tags from another address: %s, want 481", line)
	}
	if still := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == call.ID }); still.State != "answered" {
		t.Fatalf("the call after forged BYEs: %+v", still)
	}
	if line := bye(t, callee.conn, pbxAddr, inv, calleeTag, pbxTag); !strings.Contains(line, " 200 ") {
		t.Fatalf("the callee's own BYE: %s, want 200", line)
	}
	<-done
	if c := lastCDR(t, p, 1); c.ID != call.ID || c.HangupSide != "callee" {
		t.Fatalf("CDR %+v, want the call ended by the callee", c)
	}
}
