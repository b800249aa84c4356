package system_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// A phone behind NAT writes an address into its SDP that its packets do not
// come from; they come from the host its SIP came from. The relay accepts
// media from that signalling host (and from nowhere else but the SDP's), so
// the call talks both ways. Here the caller's SDP names 127.0.172.50, where
// nothing listens, and its audio comes from 127.0.172.1, its SIP address.
func TestNATPhoneWithForeignSDPAddressTalksBothWays(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	cust, agent := newEndpoint(t, "127.0.172.1"), newEndpoint(t, "127.0.172.2")
	uasProc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", "127.0.172.2", agent.port()),
		LocalIP: "127.0.172.2", Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uasProc.Stop() })
	p.Register(t, "1002", "127.0.172.2", uasProc.Port())

	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.172.1", mediaScenario(t, "uac_media.tmpl", "127.0.172.50", cust.port()), "1002", map[string]string{"talk_ms": "5000"})
	}()
	var callerRTP, calleeRTP string
	for deadline := time.Now().Add(8 * time.Second); callerRTP == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			if c.State == "answered" {
				callerRTP, calleeRTP = c.CallerRTP, c.CalleeRTP
			}
		}
	}
	if callerRTP == "" {
		t.Fatal("call not answered")
	}
	stopCust := cust.send(callerRTP, 500)
	defer stopCust()
	stopAgent := agent.send(calleeRTP, 800)
	defer stopAgent()
	time.Sleep(500 * time.Millisecond)
	cust.reset()
	agent.reset()
	time.Sleep(2 * time.Second)
	heardByAgent, heardByCust := agent.heard(500)[0], cust.heard(800)[0]
	if heardByAgent < 0.05 || heardByCust < 0.05 {
		t.Errorf("agent hears the NATed caller %.3f, the caller hears the agent %.3f; want both audible", heardByAgent, heardByCust)
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
	if c := lastCDR(t, p, 1); c.DroppedForeign != 0 {
		t.Errorf("%d packets of the call dropped as foreign", c.DroppedForeign)
	}
}
