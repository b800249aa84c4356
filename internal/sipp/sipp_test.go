package sipp

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// SIPp-to-SIPp on loopback: every shipped scenario against a SIPp peer,
// with no PBX in between. Each test uses its own 127/8 addresses so the
// parallel tests' captures cannot see each other's packets.

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startUAS starts a background SIPp and stops it when the test ends.
func startUAS(t *testing.T, o Options) *Proc {
	t.Helper()
	o.Dir = t.TempDir()
	o.Log = testLog(t)
	p, err := Start(t.Context(), o)
	if err != nil {
		t.Fatalf("start %s: %v", filepath.Base(o.Scenario), err)
	}
	t.Cleanup(func() { p.Stop() })
	return p
}

// runUAC runs a caller to completion; err is only "could not run".
func runUAC(t *testing.T, o Options) *Result {
	t.Helper()
	o.Dir = t.TempDir()
	o.Log = testLog(t)
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatalf("run %s: %v", filepath.Base(o.Scenario), err)
	}
	return res
}

func stopUAS(t *testing.T, p *Proc) *Result {
	t.Helper()
	res, err := p.Stop()
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	return res
}

func TestCallPlaysMediaToEchoingCallee(t *testing.T) {
	Require(t)
	t.Parallel()
	callee := startUAS(t, Options{Scenario: Scenario("uas_answer.xml"), LocalIP: "127.0.10.2", RTPEcho: true})
	toCallee, err := CaptureUDP(t.Context(), fmt.Sprintf("udp and dst host 127.0.10.2 and dst port %d", callee.MediaPort()))
	if err != nil {
		t.Fatal(err)
	}
	fromCallee, err := CaptureUDP(t.Context(), fmt.Sprintf("udp and src host 127.0.10.2 and src port %d", callee.MediaPort()))
	if err != nil {
		t.Fatal(err)
	}

	res := runUAC(t, Options{
		Scenario: Scenario("uac_call.xml"), Remote: callee.Addr(), LocalIP: "127.0.10.3",
		User: "alice", Service: "bob", Vars: map[string]string{"talk_ms": "3000"},
	})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	in, err := toCallee.Stop()
	if err != nil {
		t.Fatal(err)
	}
	echoed, err := fromCallee.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RTP packets: %d to the callee, %d echoed", in, echoed)
	// 3 s of the pcap's 30 ms packets is about 100; half leaves room for a
	// loaded machine and still proves a media stream, not a stray packet.
	if in < 50 {
		t.Errorf("callee's media port got %d RTP packets, want >= 50", in)
	}
	if echoed < in/2 {
		t.Errorf("callee echoed %d of %d RTP packets", echoed, in)
	}
	if err := stopUAS(t, callee).Check(1); err != nil {
		t.Error(err)
	}
}

func TestCallAnswersChallengeWithCredentials(t *testing.T) {
	Require(t)
	t.Parallel()
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"secret", true}, {"wrong", false}} {
		t.Run(tc.password, func(t *testing.T) {
			callee := startUAS(t, Options{Scenario: "testdata/uas_challenge.xml", LocalIP: "127.0.11.2"})
			res := runUAC(t, Options{
				Scenario: Scenario("uac_call.xml"), Remote: callee.Addr(), LocalIP: "127.0.11.3",
				User: "alice", Password: tc.password, Service: "bob", Vars: map[string]string{"talk_ms": "200"},
			})
			if tc.ok {
				if err := res.Check(1); err != nil {
					t.Fatal(err)
				}
				if err := stopUAS(t, callee).Check(1); err != nil {
					t.Error(err)
				}
				return
			}
			// The callee refuses a bad digest with 403, which the caller
			// does not expect.
			if res.Failed != 1 || res.ExitCode != ExitFailed {
				t.Fatalf("bad password: failed=%d exit=%d, want 1 failed call, exit 1", res.Failed, res.ExitCode)
			}
		})
	}
}

func TestCancelWhileRinging(t *testing.T) {
	Require(t)
	t.Parallel()
	callee := startUAS(t, Options{Scenario: Scenario("uas_noanswer.xml"), LocalIP: "127.0.12.2"})
	res := runUAC(t, Options{
		Scenario: Scenario("uac_cancel.xml"), Remote: callee.Addr(), LocalIP: "127.0.12.3",
		Service: "bob", Vars: map[string]string{"ring_ms": "300"},
	})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	if err := stopUAS(t, callee).Check(1); err != nil {
		t.Error(err)
	}
}

func TestCancelAgainstAnsweringCalleeFails(t *testing.T) {
	Require(t)
	t.Parallel()
	// uas_answer answers at once: the 200 for the INVITE comes where the
	// caller waits for a 180, so the cancel scenario must not pass.
	callee := startUAS(t, Options{Scenario: Scenario("uas_answer.xml"), LocalIP: "127.0.13.2"})
	res := runUAC(t, Options{Scenario: Scenario("uac_cancel.xml"), Remote: callee.Addr(), LocalIP: "127.0.13.3", Service: "bob"})
	if res.Failed != 1 || res.Successful != 0 {
		t.Fatalf("failed=%d successful=%d, want the call to fail", res.Failed, res.Successful)
	}
}

func TestRingingCalleeTakesCancel(t *testing.T) {
	Require(t)
	t.Parallel()
	// uas_answer with a long ring time must accept a CANCEL (200 + 487).
	callee := startUAS(t, Options{Scenario: Scenario("uas_answer.xml"), LocalIP: "127.0.14.2", Vars: map[string]string{"ring_ms": "5000"}})
	res := runUAC(t, Options{
		Scenario: Scenario("uac_cancel.xml"), Remote: callee.Addr(), LocalIP: "127.0.14.3",
		Service: "bob", Vars: map[string]string{"ring_ms": "300"},
	})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	if err := stopUAS(t, callee).Check(1); err != nil {
		t.Error(err)
	}
}

func TestExpectRendersFinalResponse(t *testing.T) {
	Require(t)
	t.Parallel()
	for _, tc := range []struct {
		code int
		ok   bool
	}{{486, true}, {404, false}} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			ip := fmt.Sprintf("127.0.15.%d", tc.code%250)
			callee := startUAS(t, Options{Scenario: Scenario("uas_busy.xml"), LocalIP: ip})
			path, err := Render(t.TempDir(), "uac_expect.tmpl", Expect{Code: tc.code})
			if err != nil {
				t.Fatal(err)
			}
			res := runUAC(t, Options{Scenario: path, Remote: callee.Addr(), LocalIP: "127.0.15.1", Service: "bob"})
			if !tc.ok {
				if res.Failed != 1 {
					t.Fatalf("expecting %d from a busy callee: failed=%d, want 1", tc.code, res.Failed)
				}
				return
			}
			if err := res.Check(1); err != nil {
				t.Fatal(err)
			}
			if err := stopUAS(t, callee).Check(1); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestHoldGetsMirroredDirection(t *testing.T) {
	Require(t)
	t.Parallel()
	callee := startUAS(t, Options{Scenario: Scenario("uas_answer.xml"), LocalIP: "127.0.16.2"})
	res := runUAC(t, Options{
		Scenario: Scenario("uac_hold.xml"), Remote: callee.Addr(), LocalIP: "127.0.16.3", Service: "bob",
		Vars: map[string]string{"talk_ms": "200", "hold_ms": "200"},
	})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	if err := stopUAS(t, callee).Check(1); err != nil {
		t.Error(err)
	}
}

func TestHoldAnsweredSendrecvFails(t *testing.T) {
	Require(t)
	t.Parallel()
	// A callee that ignores the offered direction: the hold check must fail.
	src, err := os.ReadFile(Scenario("uas_answer.xml"))
	if err != nil {
		t.Fatal(err)
	}
	deaf := bytes.ReplaceAll(src, []byte("a=[$answer_dir]"), []byte("a=sendrecv"))
	if bytes.Equal(deaf, src) {
		t.Fatal("uas_answer.xml no longer answers with [$answer_dir]")
	}
	path := filepath.Join(t.TempDir(), "uas_deaf.xml")
	if err := os.WriteFile(path, deaf, 0o644); err != nil {
		t.Fatal(err)
	}
	callee := startUAS(t, Options{Scenario: path, LocalIP: "127.0.17.2"})
	res := runUAC(t, Options{
		Scenario: Scenario("uac_hold.xml"), Remote: callee.Addr(), LocalIP: "127.0.17.3", Service: "bob",
		Vars: map[string]string{"talk_ms": "100", "hold_ms": "100"},
	})
	if res.Failed != 1 || res.Counters["FailedRegexpDoesntMatch(C)"] != "1" {
		t.Fatalf("failed=%d regexp failures=%q, want the hold check to fail the call\n%s",
			res.Failed, res.Counters["FailedRegexpDoesntMatch(C)"], res.Errors)
	}
}

func TestCalleeHangsUp(t *testing.T) {
	Require(t)
	t.Parallel()
	callee := startUAS(t, Options{Scenario: Scenario("uas_answer.xml"), LocalIP: "127.0.18.2", Vars: map[string]string{"hangup_ms": "300"}})
	res := runUAC(t, Options{Scenario: "testdata/uac_wait_bye.xml", Remote: callee.Addr(), LocalIP: "127.0.18.3", Service: "bob"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	if err := stopUAS(t, callee).Check(1); err != nil {
		t.Error(err)
	}
}

// registrar renders the test registrar for user alice.
func registrar(t *testing.T, ip, password string, contactPort, expires int) *Proc {
	t.Helper()
	path, err := Render(t.TempDir(), "testdata/registrar.tmpl", map[string]any{
		"User": "alice", "Password": password, "ContactPort": contactPort, "Expires": expires,
	})
	if err != nil {
		t.Fatal(err)
	}
	return startUAS(t, Options{Scenario: path, LocalIP: ip})
}

func TestRegisterScenarios(t *testing.T) {
	Require(t)
	t.Parallel()
	const contactPort = 5099
	for i, tc := range []struct {
		scenario, password string
		expires            int
		ok                 bool // the caller's verdict
	}{
		{"register.xml", "secret", 600, true},
		{"register.xml", "wrong", 600, false}, // no 200: the registrar must not be bypassed
		{"register_badpass.xml", "wrong", 600, true},
		{"register_badpass.xml", "secret", 600, false}, // a 200 fails a bad-password run
		{"unregister.xml", "secret", 0, true},
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.scenario, tc.password), func(t *testing.T) {
			ip := fmt.Sprintf("127.0.19.%d", 10+2*i)
			reg := registrar(t, ip, "secret", contactPort, tc.expires)
			vars := map[string]string{"contact_port": strconv.Itoa(contactPort)}
			if tc.scenario == "register.xml" || tc.scenario == "register_badpass.xml" {
				vars["expires"] = strconv.Itoa(tc.expires)
			}
			res := runUAC(t, Options{
				Scenario: Scenario(tc.scenario), Remote: reg.Addr(), LocalIP: fmt.Sprintf("127.0.19.%d", 11+2*i),
				User: "alice", Password: tc.password, Vars: vars,
			})
			if !tc.ok {
				if res.Failed != 1 {
					t.Fatalf("failed=%d, want 1", res.Failed)
				}
				return
			}
			if err := res.Check(1); err != nil {
				t.Fatal(err)
			}
			// The registrar's checks of Contact port and Expires passed.
			if err := stopUAS(t, reg).Check(1); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRegisterDefaultsContactToOwnPort(t *testing.T) {
	Require(t)
	t.Parallel()
	port, err := pickPort("127.0.20.3", false)
	if err != nil {
		t.Fatal(err)
	}
	reg := registrar(t, "127.0.20.2", "secret", port, 3600)
	res := runUAC(t, Options{
		Scenario: Scenario("register.xml"), Remote: reg.Addr(), LocalIP: "127.0.20.3", LocalPort: port,
		User: "alice", Password: "secret",
	})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	if err := stopUAS(t, reg).Check(1); err != nil {
		t.Error(err)
	}
}

// replier answers every SIP request it gets with code (0: stays silent).
func replier(t *testing.T, ip string, code int) string {
	t.Helper()
	conn, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if code == 0 {
				continue
			}
			conn.WriteTo(sipReply(buf[:n], code), from)
		}
	}()
	return conn.LocalAddr().String()
}

// sipReply builds a minimal response to req, copying the headers a
// client matches on.
func sipReply(req []byte, code int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d Reply\r\n", code)
	for _, line := range strings.Split(string(req), "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "from", "call-id", "cseq":
			b.WriteString(line + "\r\n")
		case "to":
			b.WriteString(line + ";tag=replier\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

func TestOptionsScannerWantsSilence(t *testing.T) {
	Require(t)
	t.Parallel()
	for _, tc := range []struct {
		code int
		ok   bool
	}{{0, true}, {200, false}, {403, false}} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			ip := fmt.Sprintf("127.0.21.%d", 2+tc.code%250)
			addr := replier(t, ip, tc.code)
			res := runUAC(t, Options{Scenario: Scenario("options_scanner.xml"), Remote: addr, LocalIP: "127.0.21.1", Service: "100"})
			if tc.ok {
				if err := res.Check(1); err != nil {
					t.Fatal(err)
				}
				return
			}
			if res.Failed != 1 {
				t.Fatalf("a %d reply: failed=%d, want 1", tc.code, res.Failed)
			}
		})
	}
}

func TestRunReportsFatalScenarioError(t *testing.T) {
	Require(t)
	t.Parallel()
	// A variable the scenario does not declare is a fatal SIPp error.
	res, err := Run(t.Context(), Options{
		Scenario: Scenario("uas_busy.xml"), Dir: t.TempDir(), Log: testLog(t),
		Vars: map[string]string{"nonesuch": "1"},
	})
	if err == nil {
		t.Fatal("want an error for an undeclared variable")
	}
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "nonesuch") {
		t.Fatalf("err %v, want ErrInvalid naming the variable", err)
	}
	if res == nil || res.Calls != 0 {
		t.Fatalf("result %+v, want one with no calls", res)
	}
}

func TestStopEndsIdleUASPromptly(t *testing.T) {
	Require(t)
	t.Parallel()
	p := startUAS(t, Options{Scenario: Scenario("uas_answer.xml"), Timeout: 60 * time.Second})
	res := stopUAS(t, p)
	// SIGUSR1 with no call open exits at once and cleanly.
	if err := res.Check(0); err != nil {
		t.Fatal(err)
	}
	if res.Duration >= stopGrace {
		t.Fatalf("stop took %s: the first SIGUSR1 should have been enough", res.Duration)
	}
}

func TestExpectOffersRenderedMedia(t *testing.T) {
	Require(t)
	t.Parallel()
	callee := startUAS(t, Options{Scenario: Scenario("uas_busy.xml"), LocalIP: "127.0.23.2"})
	path, err := Render(t.TempDir(), "uac_expect.tmpl", Expect{Code: 486, Media: "m=audio [media_port] RTP/AVP 18\na=rtpmap:18 G729/8000"})
	if err != nil {
		t.Fatal(err)
	}
	res := runUAC(t, Options{Scenario: path, Remote: callee.Addr(), LocalIP: "127.0.23.3", Service: "bob", TraceMsg: true})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	// What went on the wire, as SIPp traced it.
	if !strings.Contains(res.Messages, "RTP/AVP 18\r\na=rtpmap:18 G729/8000") || strings.Contains(res.Messages, "PCMA") {
		t.Fatalf("the INVITE did not carry the G.729-only offer:\n%s", res.Messages)
	}
}

func TestRunOverTCP(t *testing.T) {
	Require(t)
	t.Parallel()
	callee := startUAS(t, Options{Scenario: Scenario("uas_busy.xml"), LocalIP: "127.0.24.2", Transport: "t1"})
	path, err := Render(t.TempDir(), "uac_expect.tmpl", Expect{Code: 486})
	if err != nil {
		t.Fatal(err)
	}
	res := runUAC(t, Options{Scenario: path, Remote: callee.Addr(), LocalIP: "127.0.24.3", Service: "bob", Transport: "t1"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
}

func TestRunReportsTakenPort(t *testing.T) {
	Require(t)
	t.Parallel()
	conn, err := net.ListenPacket("udp4", "127.0.25.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	_, err = Run(t.Context(), Options{Scenario: Scenario("uas_busy.xml"), LocalIP: "127.0.25.2", LocalPort: port, Dir: t.TempDir()})
	if !errors.Is(err, errs.ErrUnavailable) {
		t.Fatalf("a taken port: %v, want ErrUnavailable", err)
	}
}
