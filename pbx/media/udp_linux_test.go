package media

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A relay socket sends to IPv4 and IPv6 peers, allocating nothing per
// datagram, and refuses what its family cannot reach.
func TestRelaySocketSendsWithoutAllocating(t *testing.T) {
	for _, tc := range []struct {
		network string
		bind    netip.Addr
	}{
		{"udp4", netip.MustParseAddr("127.0.0.1")},
		{"udp6", netip.IPv6Loopback()},
	} {
		t.Run(tc.network, func(t *testing.T) {
			s, err := listenUDP(tc.network, netip.AddrPortFrom(tc.bind, 0))
			if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.EAFNOSUPPORT) {
				t.Skipf("no %s loopback here: %v", tc.network, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			peer, err := net.ListenUDP(tc.network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(tc.bind, 0)))
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			to := peer.LocalAddr().(*net.UDPAddr).AddrPort()
			pkt := []byte("an RTP packet's bytes")
			if n, err := s.WriteToUDPAddrPort(pkt, to); err != nil || n != len(pkt) {
				t.Fatalf("send: %d, %v", n, err)
			}
			buf := make([]byte, 1500)
			_ = peer.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, from, err := peer.ReadFromUDPAddrPort(buf)
			if err != nil || !bytes.Equal(buf[:n], pkt) {
				t.Fatalf("peer got %q, %v", buf[:n], err)
			}
			if local := localPort(t, s); from.Port() != local || from.Addr().Unmap() != tc.bind {
				t.Fatalf("datagram came from %s, want %s:%d", from, tc.bind, local)
			}
			if n := testing.AllocsPerRun(100, func() { _, _ = s.WriteToUDPAddrPort(pkt, to) }); n != 0 {
				t.Errorf("a send allocated %.1f times", n)
			}
			if tc.network == "udp4" {
				if _, err := s.WriteToUDPAddrPort(pkt, netip.MustParseAddrPort("[2001:db8::1]:4000")); err == nil {
					t.Error("an IPv4 socket sent to an IPv6 address")
				}
			}
		})
	}
}

// A bound port is refused to a second socket, and a closed socket refuses
// to send instead of writing to whatever the descriptor number became.
func TestRelaySocketBindConflictAndClose(t *testing.T) {
	a, err := listenUDP("udp4", netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	port := localPort(t, a)
	if b, err := listenUDP("udp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)); !errors.Is(err, unix.EADDRINUSE) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("second bind of port %d: %v, want EADDRINUSE", port, err)
	}
	if _, err := listenUDP("udp4", netip.MustParseAddrPort("[::1]:0")); err == nil {
		t.Fatal("udp4 socket bound to an IPv6 address")
	}
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	var wg sync.WaitGroup
	for range 4 { // writers racing the close: each write ends sent or refused
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if _, err := a.WriteToUDPAddrPort([]byte{1}, to); err != nil && !errors.Is(err, net.ErrClosed) {
					t.Errorf("send: %v", err)
					return
				}
			}
		}()
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := a.WriteToUDPAddrPort([]byte{1}, to); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send after close: %v, want net.ErrClosed", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second close: %v, want net.ErrClosed", err)
	}
	if a.descriptor() != -1 {
		t.Fatal("a closed socket still names a descriptor")
	}
}

func localPort(t *testing.T, s *udpConn) uint16 {
	t.Helper()
	sa, err := unix.Getsockname(s.descriptor())
	if err != nil {
		t.Fatal(err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return uint16(a.Port)
	case *unix.SockaddrInet6:
		return uint16(a.Port)
	}
	t.Fatalf("sockname %T", sa)
	return 0
}
