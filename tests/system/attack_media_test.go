package system_test

import (
	"net"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// A stranger who learns the caller-facing relay port sends RTP to it while
// the callee's phone rings, before the caller has sent any: the relay
// accepts media only from the hosts the caller's SDP and signalling name,
// so the stranger's packets are dropped, the caller still latches, and
// the call carries the caller's audio (on the old first-source latch the
// stranger took the leg and the caller's own packets were dropped).
func TestAttackRTPHijackWhileRinging(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.170.2", "uas_answer.xml", true, map[string]string{"ring_ms": "2000"})
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.170.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "3000"})
	}()
	var relayAddr string
	for deadline := time.Now().Add(10 * time.Second); relayAddr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// In process: the admin API shows relay addresses to the platform's
		// system administrator only, and the harness token is a business one.
		calls := p.Server.Calls()
		if len(calls) == 1 && calls[0].State == "ringing" {
			relayAddr = calls[0].CallerRTP
		}
	}
	if relayAddr == "" {
		t.Fatal("never saw the call ringing")
	}
	sendStrangerRTP(t, net.IPv4(127, 0, 170, 99), relayAddr, 50)
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.DroppedForeign != 50 {
		t.Errorf("dropped foreign packets = %d, want exactly the stranger's 50", c.DroppedForeign)
	}
	if c.A.PacketsIn < 50 || c.B.PacketsIn < 50 {
		t.Errorf("the call's own audio: caller %d, callee %d packets in; want both flowing", c.A.PacketsIn, c.B.PacketsIn)
	}
}

// sendStrangerRTP sends n PCMA packets to relayAddr from a host of no party
// to the call, as someone who learnt the relay port would.
func sendStrangerRTP(t *testing.T, from net.IP, relayAddr string, n int) {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", relayAddr)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: from})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	pkt := make([]byte, 172)
	pkt[0], pkt[1] = 0x80, 8 // RTP v2, PCMA
	for i := range n {
		pkt[3] = byte(i)
		if _, err := stranger.WriteToUDP(pkt, to); err != nil {
			t.Fatal(err)
		}
	}
}
