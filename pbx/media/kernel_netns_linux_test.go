package media

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A relay between two hosts on their own networks: each phone sits in a
// network namespace of its own behind a veth pair, as a desk phone sits
// behind the PBX's network card, and the relay is bound to its side of the
// first pair. Here the kernel path must find the route and the next hop's
// MAC, and send out of the other interface; with the namespaces' checksum
// offload off, every datagram carries a full UDP checksum, which the
// receiving stack checks, so a wrong rewrite would lose the packet.
func TestKernelForwardsBetweenNetworks(t *testing.T) {
	requireKernelPath(t)
	for _, tool := range []string{"ip", "ethtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (scripts/install-deps.sh installs it)", tool)
		}
	}
	id := os.Getpid() % 100000
	nsA, nsB := fmt.Sprintf("ymka%d", id), fmt.Sprintf("ymkb%d", id)
	hA, hB := fmt.Sprintf("ymka%dh", id), fmt.Sprintf("ymkb%dh", id)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", nsA).Run()
		_ = exec.Command("ip", "netns", "del", nsB).Run()
	})
	for _, n := range []struct{ ns, host, net string }{{nsA, hA, "10.213.1"}, {nsB, hB, "10.213.2"}} {
		run("ip", "netns", "add", n.ns)
		run("ip", "link", "add", n.host, "type", "veth", "peer", "name", "eth0", "netns", n.ns)
		run("ip", "addr", "add", n.net+".1/24", "dev", n.host)
		run("ip", "link", "set", n.host, "up")
		run("ip", "-n", n.ns, "addr", "add", n.net+".2/24", "dev", "eth0")
		run("ip", "-n", n.ns, "link", "set", "eth0", "up")
		run("ip", "-n", n.ns, "link", "set", "lo", "up")
		run("ip", "-n", n.ns, "route", "add", "default", "via", n.net+".1")
		run("ip", "netns", "exec", n.ns, "ethtool", "-K", "eth0", "tx", "off")
	}

	bind := netip.MustParseAddr("10.213.1.1")
	lo, hi := testRange(t)
	r, err := NewRelay(Config{BindIP: bind, PortMin: lo, PortMax: hi, Kernel: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if !r.KernelForwarding() {
		t.Fatal("kernel path did not open")
	}
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	pa := listenIn(t, nsA, netip.MustParseAddr("10.213.1.2"))
	pb := listenIn(t, nsB, netip.MustParseAddr("10.213.2.2"))
	aAddr, bAddr := pa.LocalAddr().(*net.UDPAddr).AddrPort(), pb.LocalAddr().(*net.UDPAddr).AddrPort()
	b.A.SetRemote(aAddr)
	b.B.SetRemote(bAddr)
	b.Start()

	send := func(from, to *net.UDPConn, leg *Leg, ssrc uint32, seq uint16) {
		t.Helper()
		want := rtpPacketOf(t, ssrc, seq)
		if _, err := from.WriteToUDPAddrPort(want, leg.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		got, src := recv(t, to)
		if !bytes.Equal(got, want) || src.Addr() != bind || src.Port() != leg.other.LocalAddr().Port() {
			t.Fatalf("packet %d: got %d bytes from %s, want it unchanged from %s:%d", seq, len(got), src, bind, leg.other.LocalAddr().Port())
		}
	}
	// Through the relay first: both ends latch and their MACs are learnt.
	for seq := uint16(1); seq <= 5; seq++ {
		send(pa, pb, b.A, 0xaaaa0001, seq)
		send(pb, pa, b.B, 0xbbbb0001, seq)
	}
	waitFor(t, "both directions offloaded", func() bool { return offloaded(b) })
	for seq := uint16(6); seq <= 105; seq++ {
		send(pa, pb, b.A, 0xaaaa0001, seq)
		send(pb, pa, b.B, 0xbbbb0001, seq)
	}
	if ka, kb := b.A.Stats().PacketsKernel, b.B.Stats().PacketsKernel; ka != 100 || kb != 100 {
		t.Fatalf("kernel forwarded %d A→B and %d B→A, want 100 each (the rest went through the relay's sockets)", ka, kb)
	}
	if f := b.A.rtp.kflow.Load(); f == nil || f.dst != bAddr {
		t.Fatalf("A→B flow %+v, want one to %s", f, bAddr)
	}
}

// listenIn opens a UDP socket inside network namespace ns. The thread that
// enters the namespace is locked to a goroutine of its own and never
// handed back to the runtime if it cannot return.
func listenIn(t *testing.T, ns string, ip netip.Addr) *net.UDPConn {
	t.Helper()
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread() // back home; otherwise the thread dies with the goroutine
		}
		ch <- result{c, err}
	}()
	res := <-ch
	if res.err != nil {
		t.Fatalf("socket in %s: %v", ns, res.err)
	}
	t.Cleanup(func() { _ = res.c.Close() })
	return res.c
}
