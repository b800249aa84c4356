package guard

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func benchGuard(b *testing.B) *Guard {
	b.Helper()
	g, err := New(context.Background(), DefaultConfig(), nil, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	if err != nil {
		b.Fatal(err)
	}
	g.cfg.RatePerSec, g.ratePerNs = 1e12, 1e3 // the pass path, not the limiter
	return g
}

var benchMsg = []byte(sipRequest("User-Agent: Yealink SIP-T46S 66.86.0.15\r\n") +
	"Contact: <sip:1001@192.0.2.10:5060>\r\nExpires: 3600\r\nAuthorization: Digest username=\"1001\", realm=\"yimen\", nonce=\"abc\", uri=\"sip:x\", response=\"0123456789abcdef0123456789abcdef\"\r\n")

// BenchmarkReadFromPass reads datagrams that pass through a guarded
// loopback UDP socket: syscalls included, allocations must stay at 0.
func BenchmarkReadFromPass(b *testing.B) {
	g := benchGuard(b)
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	pc := g.WrapPacketConn(raw)
	client, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, raw.LocalAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(benchMsg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Write(benchMsg); err != nil {
			b.Fatal(err)
		}
		if n, _, err := pc.ReadFrom(buf); err != nil || n != len(benchMsg) {
			b.Fatalf("read %d, %v", n, err)
		}
	}
}

// BenchmarkFilterDatagram is the guard's own work per datagram, without
// the syscalls: a pass, and a drop from a banned source as in a flood.
func BenchmarkFilterDatagram(b *testing.B) {
	g := benchGuard(b)
	buf := make([]byte, 32<<10)
	n := copy(buf, benchMsg)
	b.Run("pass", func(b *testing.B) {
		ip := netip.MustParseAddr("192.0.2.10")
		b.ReportAllocs()
		for b.Loop() {
			if g.filterDatagram(buf, n, ip) != verdictPass {
				b.Fatal("dropped")
			}
		}
	})
	b.Run("banned", func(b *testing.B) {
		ip := netip.MustParseAddr("192.0.2.66")
		if err := g.Ban(context.Background(), ip, "bench", 0); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if g.filterDatagram(buf, n, ip) != verdictBanned {
				b.Fatal("passed")
			}
		}
	})
	b.Run("pass-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var i uint32
			for pb.Next() {
				i++
				ip := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
				if g.filterDatagram(buf, n, ip) != verdictPass {
					b.Fatal("dropped")
				}
			}
		})
	})
}

// BenchmarkReadFromUnderFlood is a flood's backlog — 31 datagrams from a
// banned source, then one that passes — read through the guarded socket
// (the sending is not timed): ns/op is the cost of 32 datagrams.
func BenchmarkReadFromUnderFlood(b *testing.B) {
	g := benchGuard(b)
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetReadBuffer(4 << 20)
	pc := g.WrapPacketConn(raw)
	dial := func(ip net.IP) *net.UDPConn {
		c, err := net.DialUDP("udp4", &net.UDPAddr{IP: ip}, raw.LocalAddr().(*net.UDPAddr))
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	flood, legit := dial(net.IPv4(127, 0, 0, 66)), dial(net.IPv4(127, 0, 0, 2))
	defer flood.Close()
	defer legit.Close()
	if err := g.Ban(context.Background(), netip.MustParseAddr("127.0.0.66"), "bench", 0); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 32<<10)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for range 31 {
			if _, err := flood.Write(benchMsg); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := legit.Write(benchMsg); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, _, err := pc.ReadFrom(buf); err != nil || n != len(benchMsg) {
			b.Fatalf("read %d, %v", n, err)
		}
	}
}
