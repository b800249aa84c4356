package media

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/yimen/yimen/internal/errs"
)

// call is a started bridge with a phone on each leg.
type call struct {
	b      *Bridge
	pa, pb *phone
}

func newCall(t *testing.T, r *Relay) *call {
	t.Helper()
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	c := &call{b: b, pa: newPhone(t), pb: newPhone(t)}
	c.pa.attach(b.A)
	c.pb.attach(b.B)
	b.Start()
	return c
}

func TestNewRelayValidatesConfig(t *testing.T) {
	ip := loopback()
	for name, cfg := range map[string]Config{
		"no bind ip":      {PortMin: 40000, PortMax: 40009},
		"min above max":   {BindIP: ip, PortMin: 40010, PortMax: 40000},
		"port zero":       {BindIP: ip, PortMin: 0, PortMax: 10},
		"max too high":    {BindIP: ip, PortMin: 65530, PortMax: 65536},
		"no even pair":    {BindIP: ip, PortMin: 40001, PortMax: 40002},
		"single port":     {BindIP: ip, PortMin: 40000, PortMax: 40000},
		"unspecified adv": {BindIP: ip, AdvertiseIP: netip.IPv4Unspecified(), PortMin: 40000, PortMax: 40009},
		"zoned bind ip":   {BindIP: netip.MustParseAddr("fe80::1%lo"), PortMin: 40000, PortMax: 40009},
	} {
		if _, err := NewRelay(cfg, nil, nil); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := NewRelay(Config{BindIP: ip, PortMin: 40001, PortMax: 40003}, nil, nil); err != nil {
		t.Errorf("odd minimum with one even pair inside: %v", err)
	}
}

func TestOddPortMinRoundsUpToEvenRTPPort(t *testing.T) {
	lo, _ := testRange(t)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo + 1, PortMax: lo + 20}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, l := range []*Leg{b.A, b.B} {
		if p := int(l.LocalAddr().Port()); p%2 != 0 || p <= lo || p+1 > lo+20 {
			t.Errorf("leg RTP port %d: want even and inside %d-%d with room for RTCP", p, lo+1, lo+20)
		}
	}
}

func TestAdvertiseIPReplacesBindIPInLocalAddr(t *testing.T) {
	lo, hi := testRange(t)
	adv := netip.MustParseAddr("192.0.2.10")
	r, err := NewRelay(Config{BindIP: loopback(), AdvertiseIP: adv, PortMin: lo, PortMax: hi}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.A.LocalAddr().Addr(); got != adv {
		t.Errorf("LocalAddr IP = %s, want %s", got, adv)
	}
}

func TestRelaysBothWaysSymmetrically(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	c := newCall(t, newTestRelay(t, m))

	const fromA, fromB = 10, 7
	for i := range fromA {
		c.pa.sendRTP(c.b.A, rtpPacket(t, uint16(i)))
	}
	for i := range fromA {
		pkt, src := recv(t, c.pb.rtp)
		if src != c.b.B.LocalAddr() {
			t.Fatalf("B's phone got media from %s, want the address in its SDP %s", src, c.b.B.LocalAddr())
		}
		if got := seqOf(t, pkt); got != uint16(i) {
			t.Fatalf("packet %d arrived as seq %d", i, got)
		}
	}
	for i := range fromB {
		c.pb.sendRTP(c.b.B, rtpPacket(t, uint16(100+i)))
	}
	for range fromB {
		if _, src := recv(t, c.pa.rtp); src != c.b.A.LocalAddr() {
			t.Fatalf("A's phone got media from %s, want %s", src, c.b.A.LocalAddr())
		}
	}

	size := uint64(len(rtpPacket(t, 0)))
	// Counters move just after the send, so the receiver can be a hair ahead.
	waitFor(t, "all packets counted", func() bool {
		return c.b.A.Stats().PacketsOut == fromB && c.b.B.Stats().PacketsOut == fromA
	})
	a, b := c.b.A.Stats(), c.b.B.Stats()
	if a.PacketsIn != fromA || a.PacketsOut != fromB || a.BytesIn != fromA*size || a.BytesOut != fromB*size {
		t.Errorf("leg A stats %+v", a)
	}
	if b.PacketsIn != fromB || b.PacketsOut != fromA || b.BytesIn != fromB*size || b.BytesOut != fromA*size {
		t.Errorf("leg B stats %+v", b)
	}
	if !a.Latched || a.Source != c.pa.rtpA || !b.Latched || b.Source != c.pb.rtpA {
		t.Errorf("latch: A %v %s, B %v %s", a.Latched, a.Source, b.Latched, b.Source)
	}
	if got := testutil.ToFloat64(m.rtpRelayed); got != fromA+fromB {
		t.Errorf("yimen_rtp_packets_relayed_total = %v, want %d", got, fromA+fromB)
	}
	if got := testutil.ToFloat64(m.rtpBytes); got != float64((fromA+fromB)*size) {
		t.Errorf("yimen_rtp_bytes_relayed_total = %v", got)
	}
}

func TestPayloadIsByteIdentical(t *testing.T) {
	c := newCall(t, newTestRelay(t, nil))
	big := make([]byte, maxPacket-12)
	for i := range big {
		big[i] = byte(i * 7)
	}
	packets := []rtp.Packet{
		{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: 1, Marker: true}, Payload: []byte{0xd5, 0x55, 0x00, 0xff}},
		{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 2, CSRC: []uint32{1, 2, 3}}, Payload: []byte("csrc")},
		{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 3, Padding: true, PaddingSize: 4}, Payload: []byte{1, 0x8a, 0, 160}},
		{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 4}, Payload: big},
	}
	if err := packets[1].Header.SetExtension(1, []byte{0xaa, 0xbb}); err != nil {
		t.Fatal(err)
	}
	for _, p := range packets {
		want, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c.pa.sendRTP(c.b.A, want)
		got, _ := recv(t, c.pb.rtp)
		if !bytes.Equal(got, want) {
			t.Fatalf("seq %d changed in transit:\n got %x\nwant %x", p.SequenceNumber, got, want)
		}
	}
}

func TestRelaysRTCPAndLatchesItSeparately(t *testing.T) {
	m := NewMetrics(nil)
	c := newCall(t, newTestRelay(t, m))

	want := rtcpPacket(t, 0xfeed)
	c.pa.sendRTCP(c.b.A, want)
	got, src := recv(t, c.pb.rtcp)
	if !bytes.Equal(got, want) || src != rtcpAddr(c.b.B) {
		t.Fatalf("B's phone got %x from %s, want %x from %s", got, src, want, rtcpAddr(c.b.B))
	}
	c.pb.sendRTCP(c.b.B, rtcpPacket(t, 0xbeef))
	if _, src := recv(t, c.pa.rtcp); src != rtcpAddr(c.b.A) {
		t.Fatalf("A's phone got RTCP from %s", src)
	}
	// RTP sent to the RTCP port is not RTCP.
	c.pa.sendRTCP(c.b.A, rtpPacket(t, 1))
	waitFor(t, "RTP on the RTCP port dropped, RTCP counted", func() bool {
		a := c.b.A.Stats()
		return a.RTCPDropped == 1 && a.RTCPOut == 1 && c.b.B.Stats().RTCPOut == 1
	})

	a := c.b.A.Stats()
	if a.RTCPIn != 1 || a.RTCPOut != 1 {
		t.Errorf("A RTCP in/out = %d/%d, want 1/1", a.RTCPIn, a.RTCPOut)
	}
	if a.Latched || a.PacketsIn != 0 {
		t.Errorf("RTCP must not latch or count as RTP: %+v", a)
	}
	if got := testutil.ToFloat64(m.rtcpRelayed); got != 2 {
		t.Errorf("yimen_rtcp_packets_relayed_total = %v, want 2", got)
	}
}

func TestLatchBeatsSDPAndDropsForeignSource(t *testing.T) {
	m := NewMetrics(nil)
	r := newTestRelay(t, m)
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pa, pb := newPhone(t), newPhone(t)
	decoy := listenLoopback(t) // what A's SDP said; NAT sends from pa instead
	b.A.SetRemote(decoy.LocalAddr().(*net.UDPAddr).AddrPort())
	pb.attach(b.B)
	b.Start()

	pa.sendRTP(b.A, rtpPacket(t, 1))
	recv(t, pb.rtp)
	pb.sendRTP(b.B, rtpPacket(t, 2))
	if pkt, _ := recv(t, pa.rtp); seqOf(t, pkt) != 2 {
		t.Fatal("A's latched source did not get B's packet")
	}
	if s := b.A.Stats(); !s.Latched || s.Source != pa.rtpA || s.Remote != pa.rtpA {
		t.Fatalf("A not latched to its sender: %+v", s)
	}

	// A stranger on the phone's own host, without the stream's SSRC.
	intruder := newPhone(t)
	intruder.sendRTP(b.A, rtpPacketOf(t, 0x0bad, 666))
	waitFor(t, "foreign packet dropped", func() bool { return b.A.Stats().DroppedForeign == 1 })
	pa.sendRTP(b.A, rtpPacket(t, 3))
	if pkt, _ := recv(t, pb.rtp); seqOf(t, pkt) != 3 {
		t.Fatalf("B's phone got seq %d, want 3: the intruder's packet got through", seqOf(t, pkt))
	}
	if got := testutil.ToFloat64(m.rtpDropped[dropForeign]); got != 1 {
		t.Errorf(`dropped{reason="foreign_source"} = %v, want 1`, got)
	}
	if s := b.A.Stats(); s.Source != pa.rtpA || s.PacketsIn != 2 {
		t.Errorf("intruder changed leg A: %+v", s)
	}
}

func TestDropsUntilTheOtherLegHasADestination(t *testing.T) {
	m := NewMetrics(nil)
	r := newTestRelay(t, m)
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pa, pb := newPhone(t), newPhone(t)
	pa.attach(b.A) // B has no SDP yet and has not sent
	b.Start()
	// Nothing is known of B's peer: whatever B's port receives is foreign.
	pb.sendRTP(b.B, rtpPacket(t, 49))
	waitFor(t, "RTP to a leg with no known peer dropped", func() bool { return b.B.Stats().DroppedForeign == 1 })

	pa.sendRTP(b.A, rtpPacket(t, 1))
	waitFor(t, "no-destination drop", func() bool { return b.A.Stats().DroppedNoDestination == 1 })
	if got := testutil.ToFloat64(m.rtpDropped[dropNoDestination]); got != 1 {
		t.Errorf(`dropped{reason="no_destination"} = %v, want 1`, got)
	}
	if s := b.B.Stats(); s.Latched || s.Remote.IsValid() {
		t.Fatalf("B should have no remote: %+v", s)
	}

	b.B.SetSignalHost(loopback()) // B's phone signalled (c=0.0.0.0): it latches by sending from that host
	pb.sendRTP(b.B, rtpPacket(t, 50))
	if pkt, _ := recv(t, pa.rtp); seqOf(t, pkt) != 50 {
		t.Fatal("A's phone missed B's packet")
	}
	pa.sendRTP(b.A, rtpPacket(t, 2))
	if pkt, _ := recv(t, pb.rtp); seqOf(t, pkt) != 2 {
		t.Fatalf("B's phone got seq %d, want 2 (seq 1 had nowhere to go)", seqOf(t, pkt))
	}
}

func TestSetRemoteWithNewAddressResetsLatch(t *testing.T) {
	c := newCall(t, newTestRelay(t, nil))
	c.pa.sendRTP(c.b.A, rtpPacket(t, 1))
	recv(t, c.pb.rtp)

	c.b.A.SetRemote(c.pa.rtpA) // re-INVITE, same media address: keep the latch
	if !c.b.A.Stats().Latched {
		t.Fatal("same address dropped the latch")
	}

	moved := newPhone(t) // re-INVITE moves A's media
	moved.attach(c.b.A)
	if s := c.b.A.Stats(); s.Latched || s.Remote != moved.rtpA {
		t.Fatalf("after move: %+v", s)
	}
	c.pb.sendRTP(c.b.B, rtpPacket(t, 2))
	if pkt, _ := recv(t, moved.rtp); seqOf(t, pkt) != 2 {
		t.Fatal("new address did not get media")
	}
	moved.sendRTP(c.b.A, rtpPacket(t, 3))
	if pkt, _ := recv(t, c.pb.rtp); seqOf(t, pkt) != 3 {
		t.Fatal("new phone's media not relayed")
	}
	c.pa.sendRTP(c.b.A, rtpPacketOf(t, 0x0bad, 4)) // the old phone, now a stranger on the same host
	waitFor(t, "old phone dropped", func() bool { return c.b.A.Stats().DroppedForeign == 1 })
	if s := c.b.A.Stats(); s.Source != moved.rtpA {
		t.Errorf("latched to %s, want %s", s.Source, moved.rtpA)
	}
}

func TestUnspecifiedRemoteMeansNoDestination(t *testing.T) {
	b, _, wb := socketlessBridge(NewMetrics(nil))
	b.B.SetRemote(netip.AddrPortFrom(netip.IPv4Unspecified(), 4000)) // c=0.0.0.0 hold
	b.A.SetRemote(netip.MustParseAddrPort("10.0.0.1:4000"))
	b.forwardRTP(b.A, rtpPacket(t, 1), netip.MustParseAddrPort("10.0.0.1:4000"), 1)
	if s := b.A.Stats(); s.DroppedNoDestination != 1 || wb.packets != 0 {
		t.Errorf("sent to 0.0.0.0: %+v, writes %d", s, wb.packets)
	}
}

func TestMalformedAndOversizedAreDropped(t *testing.T) {
	m := NewMetrics(nil)
	c := newCall(t, newTestRelay(t, m))
	v1 := rtpPacket(t, 1)
	v1[0] = 0x40 // version 1
	oversized, err := (&rtp.Packet{Header: rtp.Header{Version: 2}, Payload: make([]byte, maxPacket)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{[]byte("hello"), v1, oversized} {
		c.pa.sendRTP(c.b.A, p)
	}
	waitFor(t, "three invalid drops", func() bool { return c.b.A.Stats().DroppedInvalid == 3 })
	if s := c.b.A.Stats(); s.Latched || s.PacketsIn != 0 {
		t.Errorf("garbage latched or counted: %+v", s)
	}
	if got := testutil.ToFloat64(m.rtpDropped[dropTooBig]); got != 1 {
		t.Errorf(`dropped{reason="too_big"} = %v, want 1`, got)
	}
	if got := testutil.ToFloat64(m.rtpDropped[dropMalformed]); got != 2 {
		t.Errorf(`dropped{reason="malformed"} = %v, want 2`, got)
	}
}

func TestHoldStopsForwardingOneDirection(t *testing.T) {
	m := NewMetrics(nil)
	c := newCall(t, newTestRelay(t, m))
	tap := &recordingTap{}
	c.b.SetTap(tap)

	c.b.SetHold(LegA, true)
	c.pa.sendRTP(c.b.A, rtpPacket(t, 1))
	waitFor(t, "held drop", func() bool { return c.b.A.Stats().DroppedHeld == 1 })
	c.pb.sendRTP(c.b.B, rtpPacket(t, 2)) // B is not held
	if pkt, _ := recv(t, c.pa.rtp); seqOf(t, pkt) != 2 {
		t.Fatal("hold on A stopped B's audio too")
	}
	c.b.SetHold(LegA, false)
	c.pa.sendRTP(c.b.A, rtpPacket(t, 3))
	if pkt, _ := recv(t, c.pb.rtp); seqOf(t, pkt) != 3 {
		t.Fatalf("B's phone got seq %d, want 3: a held packet was forwarded", seqOf(t, pkt))
	}
	if got := testutil.ToFloat64(m.rtpDropped[dropHeld]); got != 1 {
		t.Errorf(`dropped{reason="held"} = %v, want 1`, got)
	}
	if got := tap.seqs(t, LegA); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("tap on held leg saw %v, want [1 3]", got)
	}
}

// recordingTap keeps copies of what it is shown.
type recordingTap struct {
	mu   sync.Mutex
	pkts [2][][]byte
}

func (r *recordingTap) OnRTP(leg int, pkt []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pkts[leg] = append(r.pkts[leg], bytes.Clone(pkt))
}

func (r *recordingTap) seqs(t *testing.T, leg int) []uint16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []uint16
	for _, p := range r.pkts[leg] {
		s = append(s, seqOf(t, p))
	}
	return s
}

func TestTapSeesBothLegsAndDetaches(t *testing.T) {
	c := newCall(t, newTestRelay(t, nil))
	tap := &recordingTap{}
	c.b.SetTap(tap)

	sent := rtpPacket(t, 7)
	c.pa.sendRTP(c.b.A, sent)
	recv(t, c.pb.rtp) // the tap runs before forwarding, so it has seen it
	c.pb.sendRTP(c.b.B, rtpPacket(t, 8))
	recv(t, c.pa.rtp)

	tap.mu.Lock()
	if len(tap.pkts[LegA]) != 1 || !bytes.Equal(tap.pkts[LegA][0], sent) {
		t.Errorf("tap leg A got %x, want %x", tap.pkts[LegA], sent)
	}
	tap.mu.Unlock()
	if got := tap.seqs(t, LegB); len(got) != 1 || got[0] != 8 {
		t.Errorf("tap leg B got %v, want [8]", got)
	}

	c.b.SetTap(nil)
	c.pa.sendRTP(c.b.A, rtpPacket(t, 9))
	recv(t, c.pb.rtp)
	if got := tap.seqs(t, LegA); len(got) != 1 {
		t.Errorf("detached tap still called: %v", got)
	}
}

func TestLastPacketAdvancesWithRTP(t *testing.T) {
	r := newTestRelay(t, nil)
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.LastPacket().IsZero() {
		t.Fatal("LastPacket set before Start")
	}
	pa, pb := newPhone(t), newPhone(t)
	pa.attach(b.A)
	pb.attach(b.B)
	beforeStart := time.Now()
	b.Start()
	started := b.LastPacket()
	if started.Before(beforeStart) {
		t.Fatalf("LastPacket after Start = %v, before Start was called (%v)", started, beforeStart)
	}
	for i, send := range []func(){
		func() { pa.sendRTP(b.A, rtpPacket(t, 1)); recv(t, pb.rtp) },
		func() { pb.sendRTP(b.B, rtpPacket(t, 2)); recv(t, pa.rtp) },
	} {
		prev := b.LastPacket()
		sentAt := time.Now()
		send()
		got := b.LastPacket()
		if !got.After(prev) || got.Before(sentAt) {
			t.Errorf("packet %d: LastPacket %v, was %v, sent at %v", i, got, prev, sentAt)
		}
	}
	prev := b.LastPacket()
	pa.sendRTCP(b.A, rtcpPacket(t, 1)) // RTCP is not media
	recv(t, pb.rtcp)
	if got := b.LastPacket(); !got.Equal(prev) {
		t.Errorf("RTCP moved LastPacket from %v to %v", prev, got)
	}
}

func TestPortExhaustionAndReuse(t *testing.T) {
	lo, _ := testRange(t)
	m := NewMetrics(nil)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: lo + 7}, nil, m) // 4 pairs: 2 bridges
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var bridges []*Bridge
	for {
		b, err := r.NewBridge()
		if err != nil {
			if !errors.Is(err, errs.ErrUnavailable) {
				t.Fatalf("exhausted range: %v, want ErrUnavailable", err)
			}
			break
		}
		bridges = append(bridges, b)
		if len(bridges) > 2 {
			t.Fatal("more bridges than the range holds")
		}
	}
	if len(bridges) == 0 {
		t.Skip("every port in the range is held by another program")
	}
	if got := r.PortsInUse(); got != 4*len(bridges) {
		t.Errorf("PortsInUse = %d, want %d", got, 4*len(bridges))
	}
	if got := testutil.ToFloat64(m.portsInUse); got != float64(4*len(bridges)) {
		t.Errorf("yimen_rtp_ports_in_use = %v", got)
	}
	freed := bridges[0]
	if err := freed.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := r.NewBridge()
	if err != nil {
		t.Fatalf("ports not reused after Close: %v", err)
	}
	if got := r.PortsInUse(); got != 4*len(bridges) {
		t.Errorf("PortsInUse after reuse = %d", got)
	}
	for _, b := range append(bridges[1:], again) {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if r.PortsInUse() != 0 || testutil.ToFloat64(m.portsInUse) != 0 {
		t.Errorf("ports still in use after closing everything: %d", r.PortsInUse())
	}
}

func TestSkipsPortsTheOSRefuses(t *testing.T) {
	lo, _ := testRange(t)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: lo + 11}, nil, nil) // 6 pairs
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Another program holds the first RTP port and the second pair's RTCP port.
	for _, port := range []uint16{uint16(lo), uint16(lo + 3)} {
		if c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback(), port))); err == nil {
			defer c.Close()
		}
	}
	b, err := r.NewBridge()
	if err != nil {
		t.Fatalf("a refused port failed the call: %v", err)
	}
	defer b.Close()
	for _, l := range []*Leg{b.A, b.B} {
		if p := int(l.LocalAddr().Port()); p == lo || p == lo+2 {
			t.Errorf("leg got port %d which the OS refused", p)
		}
	}
	if r.PortsInUse() != 4 {
		t.Errorf("PortsInUse = %d, want 4", r.PortsInUse())
	}
	if free := r.pool.free(); free != 6-2 {
		t.Errorf("refused pairs must go back to the pool: %d free, want 4", free)
	}
}

func TestCloseIsIdempotentAndLeaksNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	lo, hi := testRange(t)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: hi}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls []*call
	for range 3 {
		calls = append(calls, newCall(t, r))
	}
	notStarted, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range calls {
		c.pa.sendRTP(c.b.A, rtpPacket(t, uint16(i)))
		recv(t, c.pb.rtp)
	}
	if err := calls[0].b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := calls[0].b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	calls[0].b.Start() // after Close: must not start readers on closed sockets
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := notStarted.Close(); err != nil {
		t.Fatalf("Close after relay Close: %v", err)
	}
	if r.PortsInUse() != 0 {
		t.Errorf("PortsInUse after Close = %d", r.PortsInUse())
	}
	if _, err := r.NewBridge(); !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("NewBridge on closed relay: %v, want ErrUnavailable", err)
	}
	waitGoroutines(t, before)
}

func TestWriteRTPReachesThePeer(t *testing.T) {
	c := newCall(t, newTestRelay(t, nil))
	prompt := rtpPacket(t, 42)
	if err := c.b.B.WriteRTP(prompt); err != nil {
		t.Fatal(err)
	}
	got, src := recv(t, c.pb.rtp)
	if !bytes.Equal(got, prompt) || src != c.b.B.LocalAddr() {
		t.Fatalf("got %x from %s", got, src)
	}
	if s := c.b.B.Stats(); s.PacketsOut != 1 {
		t.Errorf("PacketsOut = %d, want 1", s.PacketsOut)
	}

	b, _, _ := socketlessBridge(NewMetrics(nil))
	if err := b.A.WriteRTP(prompt); !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("WriteRTP with no remote: %v, want ErrUnavailable", err)
	}
}

func TestSendFailureIsCounted(t *testing.T) {
	m := NewMetrics(nil)
	b, _, wb := socketlessBridge(m)
	wb.err = errors.New("network unreachable")
	b.B.SetRemote(netip.MustParseAddrPort("10.0.0.2:4000"))
	b.A.SetRemote(netip.MustParseAddrPort("10.0.0.1:4000"))
	b.forwardRTP(b.A, rtpPacket(t, 1), netip.MustParseAddrPort("10.0.0.1:4000"), 1)
	if s := b.A.Stats(); s.DroppedSendFailed != 1 || s.PacketsIn != 1 || b.B.Stats().PacketsOut != 0 {
		t.Errorf("stats after a refused send: A %+v", s)
	}
	if got := testutil.ToFloat64(m.rtpDropped[dropWriteError]); got != 1 {
		t.Errorf(`dropped{reason="write_error"} = %v, want 1`, got)
	}
}

func TestMetricsShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	m1, m2 := NewMetrics(reg), NewMetrics(reg)
	m1.rtpRelayed.Inc()
	m2.rtpRelayed.Inc()
	if got := testutil.ToFloat64(m1.rtpRelayed); got != 2 {
		t.Errorf("shared counter = %v, want 2", got)
	}
	n, err := testutil.GatherAndCount(reg,
		"yimen_rtp_packets_relayed_total", "yimen_rtp_packets_dropped_total",
		"yimen_rtp_bytes_relayed_total", "yimen_rtcp_packets_relayed_total", "yimen_rtp_ports_in_use")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4+int(numDropReasons) {
		t.Errorf("gathered %d series, want %d", n, 4+int(numDropReasons))
	}
}

// Bridges cost no goroutine, and closing them gives back every descriptor
// the pollers took, started or not.
func TestPollersHoldNoGoroutinePerCallAndCloseEveryDescriptor(t *testing.T) {
	lo, _ := testRange(t)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: lo + 499}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(ents)
	}
	fdBefore, gBefore := fds(), runtime.NumGoroutine()
	var bridges []*Bridge
	for i := range 100 {
		b, err := r.NewBridge()
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			b.Start()
		}
		bridges = append(bridges, b)
	}
	// Each bridge: its four sockets, which the pollers read as they are.
	if got := fds() - fdBefore; got != 400 {
		t.Errorf("100 bridges hold %d descriptors, want 400", got)
	}
	if g := runtime.NumGoroutine() - gBefore; g > 5 {
		t.Errorf("100 bridges started %d goroutines", g)
	}
	// A started bridge still relays after its neighbours on the same poller close.
	pa, pb := newPhone(t), newPhone(t)
	last := bridges[98]
	pa.attach(last.A)
	pb.attach(last.B)
	for _, b := range bridges[:98] {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	pkt := rtpPacket(t, 1)
	pa.sendRTP(last.A, pkt)
	if got, _ := recv(t, pb.rtp); !bytes.Equal(got, pkt) {
		t.Fatal("relay changed the packet after other bridges closed")
	}
	for _, b := range bridges[98:] {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := fds() - fdBefore; got != 4 { // the two phones
		t.Errorf("after closing every bridge %d descriptors more than before, want 4 (the phones)", got)
	}
}

// Packets queued before Start (a backlog, as on a busy machine) are all
// relayed, in order, whatever the batch they are read in.
func TestBacklogIsRelayedInOrder(t *testing.T) {
	r := newTestRelay(t, nil)
	defer r.Close()
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pa, pb := newPhone(t), newPhone(t)
	pa.attach(b.A)
	pb.attach(b.B)
	const n = 3*8 + 5 // several receive batches and a partial one
	for seq := range uint16(n) {
		pa.sendRTP(b.A, rtpPacket(t, seq))
	}
	b.Start()
	for seq := range uint16(n) {
		got, _ := recv(t, pb.rtp)
		if want := rtpPacket(t, seq); !bytes.Equal(got, want) {
			t.Fatalf("packet %d out of order or changed", seq)
		}
	}
	if s := b.A.Stats(); s.PacketsIn != n {
		t.Errorf("leg A accepted %d packets, want %d", s.PacketsIn, n)
	}
}
