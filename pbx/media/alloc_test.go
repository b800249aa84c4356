package media

import (
	"net/netip"
	"testing"
)

// The relay's forward path runs for every RTP packet of every call: it
// must not allocate, or the garbage collector's cost grows with the call
// count (docs/BENCHMARKS.md). The benchmarks print allocs/op; this test
// fails on one.
func TestRelayForwardPathDoesNotAllocate(t *testing.T) {
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	stranger := netip.MustParseAddrPort("198.51.100.9:4000")
	for _, tc := range []struct {
		name string
		tap  Tap
		from netip.AddrPort
	}{
		{"latched peer", nil, src},
		{"latched peer with a tap", &countingTap{}, src},
		{"foreign source dropped", nil, stranger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br, _, wb := socketlessBridge(NewMetrics(nil))
			br.A.SetRemote(src) // the SDP's address: the only source the leg accepts
			br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
			if tc.tap != nil {
				br.SetTap(tc.tap)
			}
			pkt := rtpPacket(t, 1)
			br.forwardRTP(br.A, pkt, src, 1) // latch first, as a call does
			before := wb.packets
			var now int64 = 2
			if n := testing.AllocsPerRun(1000, func() {
				now += 20e6
				br.forwardRTP(br.A, pkt, tc.from, now)
			}); n != 0 {
				t.Errorf("%v allocations per packet, want 0", n)
			}
			if forwarded := wb.packets - before; tc.from == src && forwarded == 0 {
				t.Error("nothing forwarded: the loop measured a path that does no work")
			} else if tc.from != src && forwarded != 0 {
				t.Errorf("%d packets of a foreign source forwarded", forwarded)
			}
		})
	}
}
