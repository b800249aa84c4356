//go:build crossarch

package crossarch

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// The emulated PBX starts, says it is the target's build, answers OPTIONS,
// takes a digest REGISTER from SIPp and relays a short call's audio both
// ways. The figures are a smoke signal, never performance.
func TestEmulatedPBXRegistersAndRelaysACall(t *testing.T) {
	bin, wrapper, want := os.Getenv("YIMEN_CROSS_PBX"), strings.Fields(os.Getenv("YIMEN_CROSS_EXEC")), os.Getenv("YIMEN_CROSS_PLATFORM")
	if bin == "" || want == "" {
		t.Fatal("YIMEN_CROSS_PBX and YIMEN_CROSS_PLATFORM name the binary under test (scripts/cross-test.sh sets them)")
	}
	sipp.Require(t)
	p := testpbx.NewProcessFromBinary(t, bin, wrapper, "127.1.250.1", "")
	p.Start()

	var health struct {
		Version struct {
			Platform string `json:"platform"`
		} `json:"version"`
		Database string `json:"database"`
	}
	p.GetJSON("", "/healthz", &health)
	if health.Version.Platform != want {
		t.Fatalf("/healthz says platform %q, want %q: the binary under test is not the target's", health.Version.Platform, want)
	}
	t.Logf("%s PBX up, database driver %s", want, health.Database)

	if code := options(t, p.SIP); code != 200 {
		t.Fatalf("OPTIONS answered %d", code)
	}

	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: "127.1.250.2", RTPEcho: true,
		Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	reg := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIP, LocalIP: "127.1.250.2",
		User: "1002", Password: p.Secret("1002"), Service: "1002", Vars: map[string]string{"contact_port": fmt.Sprint(callee.Port()), "expires": "600"}})
	if err := reg.Check(1); err != nil {
		t.Fatalf("register 1002: %v", err)
	}

	token := p.Operator()
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIP, LocalIP: "127.1.250.3",
			User: "1001", Password: p.Secret("1001"), Service: "1002", Vars: map[string]string{"talk_ms": "5000"}, Timeout: 60 * time.Second})
	}()
	// The caller plays a pcap and the callee echoes it: while the call is
	// up, both legs must have received packets through the emulated relay.
	var in [2]uint64
	for deadline := time.Now().Add(30 * time.Second); in[0] < 20 || in[1] < 20; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("packets in per leg %v, want both ≥ 20\n%s", in, p.Log())
		}
		var calls []struct {
			PacketsIn [2]uint64 `json:"packets_in"`
		}
		p.GetJSON(token, "/api/v1/calls", &calls)
		if len(calls) == 1 {
			in = calls[0].PacketsIn
		}
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatalf("call: %v", err)
	}
	t.Logf("relayed packets in (caller, callee): %v", in)
}

// options sends one OPTIONS over UDP and returns the response's status.
func options(t *testing.T, sipAddr string) int {
	t.Helper()
	c, err := net.Dial("udp", sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	msg := "OPTIONS sip:" + sipAddr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bKcross" + fmt.Sprint(time.Now().UnixNano()) + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + local + ">;tag=cross1\r\nTo: <sip:" + sipAddr + ">\r\n" +
		"Call-ID: cross-" + fmt.Sprint(time.Now().UnixNano()) + "\r\nCSeq: 1 OPTIONS\r\nUser-Agent: yimen-crossarch\r\nContent-Length: 0\r\n\r\n"
	buf := make([]byte, 4096)
	for attempt := 0; attempt < 5; attempt++ {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			continue
		}
		var code int
		if _, err := fmt.Sscanf(string(buf[:n]), "SIP/2.0 %d", &code); err == nil && code >= 200 {
			return code
		}
	}
	t.Fatalf("no final answer to OPTIONS from %s", sipAddr)
	return 0
}
