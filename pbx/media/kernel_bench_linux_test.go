package media

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkForwardPath pushes one direction of a call's RTP through the
// relay and through the kernel path, and reports the CPU the whole process
// spent per packet (getrusage: user and system time, which on loopback
// includes the softirq work each send sets off), not wall time, so a busy
// machine moves it less. The phones' own sends and reads are in both
// figures; what differs is the relay's read, wake-up and send against the
// program's run and a second pass through loopback.
//
//	go test ./pbx/media -run '^$' -bench ForwardPath -benchtime 200000x -count 3
func BenchmarkForwardPath(b *testing.B) {
	for _, mode := range []struct {
		name   string
		kernel bool
	}{{"relay", false}, {"kernel", true}} {
		b.Run(mode.name, func(b *testing.B) {
			var r *Relay
			if mode.kernel {
				r = newKernelRelay(b, nil)
			} else {
				r = newTestRelay(b, nil)
			}
			br, pa, pb := kernelCall(b, r)
			if mode.kernel {
				waitFor(b, "offloaded", func() bool { return br.A.rtp.kflow.Load() != nil })
			}
			pkt := rtpPacketOf(b, 0xaaaa0001, 2)
			// The sender keeps at most window packets in flight, so no
			// socket buffer overflows whichever path is slower.
			const window = 64
			acks := make(chan int, b.N/16+2)
			got := make(chan int, 1)
			go func() {
				buf := make([]byte, 2048)
				n := 0
				for n < b.N {
					_ = pb.rtp.SetReadDeadline(time.Now().Add(patience))
					if _, _, err := pb.rtp.ReadFromUDPAddrPort(buf); err != nil {
						break
					}
					if n++; n%16 == 0 {
						acks <- n
					}
				}
				got <- n
			}()
			to := br.A.LocalAddr()
			before := cpuNanos(b)
			b.ResetTimer()
			acked := 0
			for i := range b.N {
				for i-acked >= window {
					acked = <-acks
				}
				if _, err := pa.rtp.WriteToUDPAddrPort(pkt, to); err != nil {
					b.Fatal(err)
				}
			}
			n := <-got
			b.StopTimer()
			if n != b.N {
				b.Fatalf("%d of %d packets arrived", n, b.N)
			}
			b.ReportMetric(float64(cpuNanos(b)-before)/float64(b.N), "cpu-ns/pkt")
			if k := br.A.Stats().PacketsKernel; mode.kernel && k < uint64(b.N) {
				b.Fatalf("the kernel forwarded %d of %d", k, b.N)
			}
		})
	}
}

// cpuNanos is the process's user and system CPU time so far.
func cpuNanos(b *testing.B) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return unix.TimevalToNsec(ru.Utime) + unix.TimevalToNsec(ru.Stime)
}
