package udpbatch

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
)

func pair(t testing.TB) (*net.UDPConn, *net.UDPConn) {
	t.Helper()
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cl, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return srv, cl
}

// A backlog larger than a batch is handed out whole, in order, with each
// datagram's source; one that fills its buffer shows as cut; fn choosing
// to go on skips datagrams without returning.
func TestReaderHandsOutABacklogInOrder(t *testing.T) {
	srv, cl := pair(t)
	r, err := NewReader(srv, 4, 65)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		if _, err := fmt.Fprintf(cl, "datagram %d", i); err != nil {
			t.Fatal(err)
		}
	}
	big := make([]byte, 100)
	if _, err := cl.Write(big); err != nil {
		t.Fatal(err)
	}
	from := cl.LocalAddr().(*net.UDPAddr).AddrPort()
	var got []string
	for len(got) < 11 {
		err := r.Next(func(d, buf []byte, src netip.AddrPort) bool {
			if src != from {
				t.Errorf("source %v, want %v", src, from)
			}
			if len(got)%2 == 1 { // every other one skipped by the caller
				got = append(got, "")
				return false
			}
			got = append(got, string(d))
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, g := range got {
		if want := fmt.Sprintf("datagram %d", i); i%2 == 0 && g != want {
			t.Fatalf("datagram %d = %q, want %q", i, g, want)
		}
	}
	if err := r.Next(func(d, buf []byte, _ netip.AddrPort) bool {
		if len(d) != 65 || len(buf) != len(d) {
			t.Errorf("an oversize datagram read as %d bytes of a %d-byte buffer, want cut at 65", len(d), len(buf))
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
}

// A closed socket ends a waiting Next with an error.
func TestReaderEndsWhenTheSocketCloses(t *testing.T) {
	srv, _ := pair(t)
	r, err := NewReader(srv, 4, 64)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- r.Next(func([]byte, []byte, netip.AddrPort) bool { return true }) }()
	srv.Close()
	if err := <-done; err == nil {
		t.Fatal("Next returned no error on a closed socket")
	}
}

// BenchmarkReaderBacklog is a flood's backlog of 32 datagrams taken by the
// reader (the sending is not timed): batch-1 is a read per datagram.
func BenchmarkReaderBacklog(b *testing.B) {
	for _, size := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("batch-%d", size), func(b *testing.B) {
			srv, cl := pair(b)
			_ = srv.SetReadBuffer(4 << 20)
			r, err := NewReader(srv, size, 2048)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 300)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for range 32 {
					if _, err := cl.Write(msg); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				for range 32 {
					if err := r.Next(func([]byte, []byte, netip.AddrPort) bool { return true }); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
