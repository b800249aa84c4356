package registrar

import (
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/sipstateless"
)

// BenchmarkRegisterUDP is one digest registration (REGISTER, 401, REGISTER
// with Authorization, 200) over loopback UDP, through sipgo's server
// transaction and goroutine per request as before, and through the
// stateless fast path the PBX now uses. One phone, one registration at a
// time; cpu-ns/op is the whole process's CPU time (both ends, GC included)
// per registration, which another program's load on the box changes far
// less than ns/op.
func BenchmarkRegisterUDP(b *testing.B) {
	for _, path := range []string{"sipgo-transaction", "stateless"} {
		b.Run(path, func(b *testing.B) {
			r := newAuthRegistrar(b, &savedStore{}, nil)
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ua, err := sipgo.NewUA()
			if err != nil {
				b.Fatal(err)
			}
			srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			srv.OnRegister(r.HandleRegister)
			serve := pc
			if path == "stateless" {
				serve = sipstateless.Wrap(pc, r.Answer, sipstateless.Config{Method: sip.REGISTER}, slog.New(slog.DiscardHandler))
			}
			go srv.ServeUDP(serve)
			defer ua.Close()
			defer pc.Close()

			conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			to := pc.LocalAddr()
			p := &phone{tb: b, source: conn.LocalAddr().String(), callID: "udp-bench"}
			buf := make([]byte, 4096)
			roundTrip := func(msg []byte) *sip.Response {
				if _, err := conn.WriteTo(msg, to); err != nil {
					b.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, _, err := conn.ReadFrom(buf)
				if err != nil {
					b.Fatal(err)
				}
				m, err := sip.ParseMessage(buf[:n])
				if err != nil {
					b.Fatal(err)
				}
				return m.(*sip.Response)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := range b.N {
				chal := roundTrip(p.wire("", 3600))
				res := roundTrip(p.wire(answerTB(b, chal, "REGISTER", testRURI, "1001", "s3cret", 1), 3600))
				if res.StatusCode != 200 {
					b.Fatalf("registration %d: %d", i, res.StatusCode)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
