package media

import (
	"net"
	"net/netip"
	"testing"
)

const procRoute = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
eth1	0000000A	00000000	0001	0	0	0	0000FFFF	0	0	0
eth1	0001000A	00000000	0000	0	0	0	00FFFFFF	0	0	0
`

const procARP = `IP address       HW type     Flags       HW address            Mask     Device
192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0
10.0.3.7         0x1         0x2         02:aa:00:00:00:07     *        eth1
10.0.3.8         0x1         0x0         00:00:00:00:00:00     *        eth1
`

func TestKernelViewFindsTheNextHop(t *testing.T) {
	v := &kernelView{
		routes: parseRoutes([]byte(procRoute)),
		arp:    map[arpKey]net.HardwareAddr{},
		ifaces: map[string]net.Interface{
			"eth0": {Index: 2, Name: "eth0", Flags: net.FlagUp, HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}},
			"eth1": {Index: 3, Name: "eth1", Flags: net.FlagUp, HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 2}},
		},
	}
	parseARP([]byte(procARP), v.arp)
	if len(v.routes) != 3 {
		t.Fatalf("routes %+v: want the three that are up", v.routes)
	}
	for _, c := range []struct {
		dst     string
		ifindex uint32
		mac     string
		ok      bool
	}{
		{"10.0.3.7", 3, "02:aa:00:00:00:07", true},     // on link, eth1's /16 beats the default
		{"10.0.3.8", 0, "", false},                     // incomplete ARP entry
		{"198.51.100.9", 2, "02:fc:00:00:00:05", true}, // by the default gateway
		{"192.0.2.77", 0, "", false},                   // on link, not resolved
	} {
		ifindex, dmac, smac, ok := v.nextHop(netip.MustParseAddr(c.dst))
		if ok != c.ok || ifindex != c.ifindex || (ok && (dmac.String() != c.mac || smac.String() != v.ifaces[map[uint32]string{2: "eth0", 3: "eth1"}[ifindex]].HardwareAddr.String())) {
			t.Errorf("%s: got if %d %s from %s ok %v, want if %d %s ok %v", c.dst, ifindex, dmac, smac, ok, c.ifindex, c.mac, c.ok)
		}
	}
}

func FuzzKernelViewParsers(f *testing.F) {
	f.Add([]byte(procRoute))
	f.Add([]byte(procARP))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range parseRoutes(b) {
			if !r.prefix.IsValid() || r.prefix.Bits() > 32 {
				t.Fatalf("bad route %+v", r)
			}
		}
		m := map[arpKey]net.HardwareAddr{}
		parseARP(b, m)
		for k, mac := range m {
			if len(mac) != 6 || !k.ip.IsValid() {
				t.Fatalf("bad ARP entry %v %v", k, mac)
			}
		}
	})
}
