package system_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/tests/testpbx"
)

// UDP REGISTERs are answered without a transaction: a retransmission of
// either request gets the very same answer again (same nonce, same To-tag,
// same Date) and is not counted or re-run, so an authenticated REGISTER
// sent twice is not refused as a replay. A REGISTER without Via still gets
// 400 and a log line.
func TestRegisterRetransmissionsGetTheSameAnswer(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 15, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", p.SIPAddr())
	local := conn.LocalAddr().(*net.UDPAddr)

	first := registerMsg(local, "1004", "rt1a", "")
	ch := rawSIP(t, conn, to, first)
	if !strings.HasPrefix(ch, "SIP/2.0 401 ") {
		t.Fatalf("want 401, got:\n%s", ch)
	}
	if again := rawSIP(t, conn, to, first); again != ch {
		t.Errorf("retransmitted REGISTER got another challenge:\n%s\nwant:\n%s", again, ch)
	}
	nonce := nonceRE.FindStringSubmatch(ch)[1]
	ha1 := md5hex("1004:yimen:" + p.Secrets["1004"])
	ha2 := md5hex("REGISTER:sip:127.0.0.1")
	resp := md5hex(ha1 + ":" + nonce + ":00000001:rt:auth:" + ha2)
	auth := fmt.Sprintf(`Digest username="1004", realm="yimen", nonce="%s", uri="sip:127.0.0.1", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="rt"`, nonce, resp)
	second := registerMsg(local, "1004", "rt1b", auth)
	ok := rawSIP(t, conn, to, second)
	if !strings.HasPrefix(ok, "SIP/2.0 200 ") {
		t.Fatalf("want 200, got:\n%s", ok)
	}
	time.Sleep(1100 * time.Millisecond) // a second later the Date would differ if answered anew
	if again := rawSIP(t, conn, to, second); again != ok {
		t.Errorf("retransmitted authenticated REGISTER got:\n%s\nwant the 200 again:\n%s", again, ok)
	}
	if got := p.Metric(t, "yimen_sip_register_total", map[string]string{"result": "ok"}); got != 1 {
		t.Errorf("registrations counted = %v, want 1", got)
	}
	if got := p.Metric(t, "yimen_sip_register_stateless_resent_total", nil); got != 2 {
		t.Errorf("answers resent = %v, want 2", got)
	}

	noVia := "REGISTER sip:127.0.0.1 SIP/2.0\r\nFrom: <sip:1004@127.0.0.1>;tag=nv\r\nTo: <sip:1004@127.0.0.1>\r\nCall-ID: novia@test\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
	if res := rawSIP(t, conn, to, noVia); !strings.HasPrefix(res, "SIP/2.0 400 ") {
		t.Errorf("REGISTER without Via got:\n%s", res)
	}
	logged := func() bool {
		b, _ := os.ReadFile(filepath.Join(p.Dir, "pbx.log"))
		return strings.Contains(string(b), `msg="sip: malformed request refused" component=sip method=REGISTER ip=127.0.15.1 missing=Via`)
	}
	for deadline := time.Now().Add(3 * time.Second); !logged() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !logged() {
		t.Errorf("no log line for the REGISTER without Via")
	}
}
