package media

import (
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRelay measures the forward path alone: one G.711 packet (20 ms,
// 172 bytes) from a latched peer, checked, counted and handed to a writer,
// with the clock read the reader loop does. It must stay at 0 allocs/op.
func BenchmarkRelay(b *testing.B) {
	br, _, wb := socketlessBridge(NewMetrics(nil))
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(src)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	pkt := rtpPacket(b, 1)
	br.forwardRTP(br.A, pkt, src, 1) // latch outside the loop
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		br.forwardRTP(br.A, pkt, src, time.Now().UnixNano())
	}
	if wb.packets == 0 {
		b.Fatal("nothing forwarded")
	}
}

// BenchmarkRelayAfterSourceChange is BenchmarkRelay once the leg's source
// has changed (a transfer, a conference): every packet is copied and
// renumbered into the phone's one stream (out_stream.go).
func BenchmarkRelayAfterSourceChange(b *testing.B) {
	br, _, wb := socketlessBridge(NewMetrics(nil))
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(src)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	if err := br.B.WriteRTP(rtpPacketOf(b, 0x5eed, 7)); err != nil { // an earlier source: a prompt
		b.Fatal(err)
	}
	pkt := rtpPacket(b, 1)
	br.forwardRTP(br.A, pkt, src, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		br.forwardRTP(br.A, pkt, src, time.Now().UnixNano())
	}
	if wb.packets == 0 {
		b.Fatal("nothing forwarded")
	}
}

// BenchmarkRelayWithTap adds a tap that only looks at the packet.
func BenchmarkRelayWithTap(b *testing.B) {
	br, _, _ := socketlessBridge(NewMetrics(nil))
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	br.A.SetRemote(src)
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	tap := &countingTap{}
	br.SetTap(tap)
	pkt := rtpPacket(b, 1)
	br.forwardRTP(br.A, pkt, src, 1)
	b.ReportAllocs()
	for b.Loop() {
		br.forwardRTP(br.A, pkt, src, time.Now().UnixNano())
	}
	if tap.bytes == 0 {
		b.Fatal("tap not called")
	}
}

type countingTap struct{ bytes int }

func (c *countingTap) OnRTP(_ int, pkt []byte) { c.bytes += len(pkt) }

// BenchmarkRelayDropForeign is the cost of refusing a stranger's packet.
func BenchmarkRelayDropForeign(b *testing.B) {
	br, _, _ := socketlessBridge(NewMetrics(nil))
	br.A.SetRemote(netip.MustParseAddrPort("192.0.2.1:4000"))
	br.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	pkt := rtpPacket(b, 1)
	br.forwardRTP(br.A, pkt, netip.MustParseAddrPort("192.0.2.1:4000"), 1)
	stranger := netip.MustParseAddrPort("198.51.100.9:4000")
	b.ReportAllocs()
	for b.Loop() {
		br.forwardRTP(br.A, pkt, stranger, 1)
	}
}

// BenchmarkRelayLoopback sends G.711 packets through a real bridge on
// loopback, phone A to relay to phone B, with up to window packets in
// flight. ns/op is the cost per relayed packet of the whole path (two
// syscalls in the phones, two in the relay, scheduler wake-ups), all on this
// machine's cores; pkts/s is the throughput one bridge sustains.
func BenchmarkRelayLoopback(b *testing.B) {
	const window = 32 // well under the socket buffers, so nothing is lost
	r := newTestRelay(b, nil)
	br, err := r.NewBridge()
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	pa, pb := newPhone(b), newPhone(b)
	pa.attach(br.A)
	pb.attach(br.B)
	br.Start()
	pkt := rtpPacket(b, 1)
	to := br.A.LocalAddr()
	pump(b, window, pa, pb, pkt, func(int) netip.AddrPort { return to })
}

// pump sends b.N copies of pkt from pa to the address to(i) gives, with at
// most window in flight, reads each from pb, and reports packets a second
// and the process's CPU per packet (phones included: an upper bound on the
// relay's share).
func pump(b *testing.B, window int, pa, pb *phone, pkt []byte, to func(i int) netip.AddrPort) {
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	sendErr := make(chan error, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	cpuBefore := processCPU(b)
	b.ResetTimer()
	go func() {
		for i := range b.N {
			<-credits
			if _, err := pa.rtp.WriteToUDPAddrPort(pkt, to(i)); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	buf := make([]byte, 2048)
	for i := range b.N {
		if err := pb.rtp.SetReadDeadline(time.Now().Add(patience)); err != nil {
			b.Fatal(err)
		}
		if _, _, err := pb.rtp.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatalf("lost packets after %d: %v", i, err)
		}
		credits <- struct{}{}
	}
	if err := <-sendErr; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(processCPU(b)-cpuBefore)/float64(b.N), "cpu-ns/pkt")
}

// processCPU is user+system CPU time used by this process so far, in ns.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkBridgeLifecycle is one call's media set-up and tear-down: bind
// four sockets, hand them to a poller, close. It also reports what a live,
// started bridge keeps resident (Go heap and stacks, not kernel socket
// buffers) measured over 250 bridges.
func BenchmarkBridgeLifecycle(b *testing.B) {
	lo, _ := testRange(b)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: lo + 1999}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.Run("setup+close", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			br, err := r.NewBridge()
			if err != nil {
				b.Fatal(err)
			}
			br.Start()
			if err := br.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resident", func(b *testing.B) {
		const live = 250
		for b.Loop() {
			before := residentBytes()
			var bridges []*Bridge
			for range live {
				br, err := r.NewBridge()
				if err != nil {
					b.Fatal(err)
				}
				br.Start()
				bridges = append(bridges, br)
			}
			b.ReportMetric(float64(residentBytes()-before)/live, "B/call")
			for _, br := range bridges {
				_ = br.Close()
			}
		}
	})
}

func residentBytes() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// BenchmarkRelayManyBridges is BenchmarkRelayLoopback spread over 500 live
// bridges, as on a busy PBX: packets go round-robin to every bridge's A leg
// from one phone socket and all come out to one socket on the B side. ns/op
// and cpu-ns/pkt include both phones, the same for any relay implementation,
// so before/after comparisons show the relay's own change.
func BenchmarkRelayManyBridges(b *testing.B) {
	const bridges, window = 500, 64
	lo, _ := testRange(b)
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: lo + 4*bridges + 10}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	pa, pb := newPhone(b), newPhone(b)
	var to []netip.AddrPort
	for range bridges {
		br, err := r.NewBridge()
		if err != nil {
			b.Fatal(err)
		}
		pa.attach(br.A)
		pb.attach(br.B)
		br.Start()
		to = append(to, br.A.LocalAddr())
	}
	pump(b, window, pa, pb, rtpPacket(b, 1), func(i int) netip.AddrPort { return to[i%bridges] })
}
