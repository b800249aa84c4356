package system_test

import (
	"testing"
	"time"

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
	mc := startMediaCall(t, p, "127.0.172.1", "127.0.172.50", "127.0.172.2", 5000)
	cust, agent, callerRTP, calleeRTP, done := mc.cust, mc.agent, mc.callerRTP, mc.calleeRTP, mc.done
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
