package system_test

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// A call with nothing attached (no recording, monitor or prompt) is handed
// to the kernel path once both phones have latched: SIPp's audio and its
// echo keep flowing, the CDR counts every packet whichever path carried
// it, and a stranger sending to the caller's relay port mid-call is still
// dropped, since the kernel takes only the latched source's stream.
func TestUntappedCallIsForwardedInTheKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("in-kernel forwarding needs CAP_BPF and CAP_NET_ADMIN")
	}
	t.Parallel()
	p := testpbx.Start(t)
	p.Callee(t, "1002", "127.0.171.2", "uas_answer.xml", true, nil)
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.171.1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "5000"})
	}()
	var relayAddr string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if p.Metric(t, "yimen_rtp_packets_kernel_total", nil) > 0 {
			if calls := p.Server.Calls(); len(calls) == 1 {
				relayAddr = calls[0].CallerRTP
			}
			break
		}
	}
	if relayAddr == "" {
		t.Fatal("the call's audio never went through the kernel path")
	}
	sendStrangerRTP(t, net.IPv4(127, 0, 171, 99), relayAddr, 50)
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	c := lastCDR(t, p, 1)
	if c.DroppedForeign != 50 {
		t.Errorf("dropped foreign packets = %d, want exactly the stranger's 50", c.DroppedForeign)
	}
	kernel := p.Metric(t, "yimen_rtp_packets_kernel_total", nil)
	relayed := p.Metric(t, "yimen_rtp_packets_relayed_total", nil)
	if c.A.PacketsIn < 150 || c.B.PacketsIn < 150 || float64(c.A.PacketsIn+c.B.PacketsIn) < relayed {
		t.Errorf("CDR packets in: caller %d, callee %d, relayed %v; want both flowing and every relayed packet counted", c.A.PacketsIn, c.B.PacketsIn, relayed)
	}
	if kernel < relayed/2 {
		t.Errorf("the kernel forwarded %v of %v relayed packets; want most of them", kernel, relayed)
	}
	t.Logf("relayed %v RTP packets, %v of them in the kernel; CDR in: caller %d, callee %d", relayed, kernel, c.A.PacketsIn, c.B.PacketsIn)
}
