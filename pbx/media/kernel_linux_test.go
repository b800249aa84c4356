package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/sys/unix"
)

// requireKernelPath skips without root (CAP_BPF and CAP_NET_ADMIN) or
// under a user-mode emulator (the cross-architecture tests run under
// qemu-user, which has no bpf(2): ENOSYS, which cilium/ebpf reports as
// not supported); as root, any other refusal is a failure.
func requireKernelPath(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("in-kernel forwarding needs CAP_BPF and CAP_NET_ADMIN")
	}
	k, err := openKernel(1)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, ebpf.ErrNotSupported) {
		t.Skipf("no bpf(2) or no tcx here (an emulator, an old kernel): %v", err)
	}
	if err != nil {
		t.Fatalf("kernel path refused as root: %v", err)
	}
	_ = k.close()
}

// newKernelRelay is a relay with the kernel path open.
func newKernelRelay(t testing.TB, m *Metrics) *Relay {
	t.Helper()
	requireKernelPath(t)
	lo, hi := testRange(t)
	var logs bytes.Buffer
	r, err := NewRelay(Config{BindIP: loopback(), PortMin: lo, PortMax: hi, Kernel: true}, slog.New(slog.NewTextHandler(&logs, nil)), m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if !r.KernelForwarding() {
		t.Fatalf("kernel path did not open:\n%s", logs.String())
	}
	return r
}

// kernelCall is a started bridge between two loopback phones, each of
// which has sent one packet, so both legs are latched.
func kernelCall(t testing.TB, r *Relay) (*Bridge, *phone, *phone) {
	t.Helper()
	b, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	pa, pb := newPhone(t), newPhone(t)
	pa.attach(b.A)
	pb.attach(b.B)
	b.Start()
	pa.sendRTP(b.A, rtpPacketOf(t, 0xaaaa0001, 1))
	recv(t, pb.rtp)
	pb.sendRTP(b.B, rtpPacketOf(t, 0xbbbb0001, 1))
	recv(t, pa.rtp)
	return b, pa, pb
}

func offloaded(b *Bridge) bool { return b.A.rtp.kflow.Load() != nil && b.B.rtp.kflow.Load() != nil }

// exchange sends n packets each way, from seq on, and checks each side gets
// them all, in order, unchanged, from the other leg's address.
func exchange(t *testing.T, b *Bridge, pa, pb *phone, seq uint16, n int) {
	t.Helper()
	for i := range n {
		s := seq + uint16(i)
		want := rtpPacketOf(t, 0xaaaa0001, s)
		pa.sendRTP(b.A, want)
		got, src := recv(t, pb.rtp)
		if !bytes.Equal(got, want) || src != b.B.LocalAddr() {
			t.Fatalf("A→B packet %d: got %d bytes from %s (seq %d), want it unchanged from %s", s, len(got), src, seqOf(t, got), b.B.LocalAddr())
		}
		want = rtpPacketOf(t, 0xbbbb0001, s)
		pb.sendRTP(b.B, want)
		got, src = recv(t, pa.rtp)
		if !bytes.Equal(got, want) || src != b.A.LocalAddr() {
			t.Fatalf("B→A packet %d: got %d bytes from %s, want it unchanged from %s", s, len(got), src, b.A.LocalAddr())
		}
	}
}

func TestKernelForwardsAnUntappedCallAndHandsBackForATap(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	r := newKernelRelay(t, m)
	b, pa, pb := kernelCall(t, r)
	waitFor(t, "both directions offloaded", func() bool { return offloaded(b) })

	before := time.Now()
	exchange(t, b, pa, pb, 2, 100)
	// A scrape counts what the kernel forwarded up to now, not to the last sweep.
	if got := gathered(t, reg, "yimen_rtp_packets_kernel_total"); got != 200 {
		t.Fatalf("scraped yimen_rtp_packets_kernel_total = %v, want 200", got)
	}
	// The media timeout sees the kernel's packets when it looks, not at
	// the next sweep, and at the time the kernel forwarded them.
	if last := b.LastPacket(); last.Before(before) || last.After(time.Now()) {
		t.Fatalf("LastPacket %v, want between %v and now", last, before)
	}
	sa, sb := b.A.Stats(), b.B.Stats()
	if sa.PacketsKernel != 100 || sb.PacketsKernel != 100 {
		t.Fatalf("kernel forwarded %d A→B and %d B→A, want 100 each", sa.PacketsKernel, sb.PacketsKernel)
	}
	if sa.PacketsIn != 101 || sb.PacketsOut != 101 || sa.BytesIn != 101*172 {
		t.Fatalf("leg A counts: in %d (%d bytes), B out %d; want 101 packets of 172 bytes", sa.PacketsIn, sa.BytesIn, sb.PacketsOut)
	}
	if got := testutil.ToFloat64(m.rtpKernel); got != 200 {
		t.Fatalf("yimen_rtp_packets_kernel_total = %v, want 200", got)
	}
	if got := testutil.ToFloat64(m.rtpRelayed); got != 202 {
		t.Fatalf("yimen_rtp_packets_relayed_total = %v, want 202", got)
	}

	// A tap (a recorder starting) must hear every packet from now on.
	tap := &recordingTap{}
	b.SetTap(tap)
	if b.A.rtp.kflow.Load() != nil || b.B.rtp.kflow.Load() != nil {
		t.Fatal("a flow stayed in the kernel with a tap attached")
	}
	exchange(t, b, pa, pb, 102, 10)
	if got := tap.seqs(t, LegA); len(got) != 10 || got[0] != 102 || got[9] != 111 {
		t.Fatalf("tap heard A's %v, want 102..111", got)
	}
	if b.A.Stats().PacketsKernel != 100 {
		t.Fatal("the kernel forwarded packets while the call was tapped")
	}

	// Without the tap the sweep offloads again.
	b.SetTap(nil)
	waitFor(t, "offloaded again", func() bool { return offloaded(b) })
	exchange(t, b, pa, pb, 112, 10)
	if got := b.A.Stats().PacketsKernel; got != 110 {
		t.Fatalf("kernel forwarded %d A→B, want 110", got)
	}

	// Closing takes the flows out of the kernel.
	ka, kb := b.A.rtp.kflow.Load().key, b.B.rtp.kflow.Load().key
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []flowKey{ka, kb} {
		if _, ok := r.kernel.read(k); ok {
			t.Fatalf("flow %v left in the kernel after Close", k)
		}
	}
}

func TestKernelHandsBackForHoldPromptAndRelatch(t *testing.T) {
	r := newKernelRelay(t, nil)
	b, pa, pb := kernelCall(t, r)
	waitFor(t, "both directions offloaded", func() bool { return offloaded(b) })
	exchange(t, b, pa, pb, 2, 20) // last A→B packet: seq 21, timestamp 21*160

	// A prompt played to B carries on B's stream where the kernel left it.
	prompt := rtpPacketOf(t, 0x99990001, 5000)
	if err := b.B.WriteRTP(prompt); err != nil {
		t.Fatal(err)
	}
	got, _ := recv(t, pb.rtp)
	var h rtp.Header
	if _, err := h.Unmarshal(got); err != nil {
		t.Fatal(err)
	}
	if h.SSRC != 0xaaaa0001 || h.SequenceNumber != 22 || h.Timestamp != 21*160+frameTicks || !h.Marker {
		t.Fatalf("prompt reached B as ssrc %#x seq %d ts %d marker %v; want the stream's ssrc, seq 22, ts %d, marker",
			h.SSRC, h.SequenceNumber, h.Timestamp, h.Marker, 21*160+frameTicks)
	}
	if b.A.rtp.kflow.Load() != nil {
		t.Fatal("A→B stayed in the kernel after a prompt to B")
	}

	// Hold: A's audio stops reaching B, and is counted as held.
	b.SetHold(LegA, true)
	pa.sendRTP(b.A, rtpPacketOf(t, 0xaaaa0001, 30))
	waitFor(t, "a held packet", func() bool { return b.A.Stats().DroppedHeld == 1 })
	b.SetHold(LegA, false)

	// A NAT rebinding: A's phone sends from a new port; after the quiet
	// time the relay relatches, and B→A goes to the new port, whichever
	// path carries it.
	waitFor(t, "B→A offloaded", func() bool { return b.B.rtp.kflow.Load() != nil })
	moved := listenLoopback(t)
	waitFor(t, "the relatch quiet time", func() bool { return time.Now().UnixNano()-b.A.rtp.lastRx.Load() > relatchQuiet })
	pkt := rtpPacketOf(t, 0xaaaa0001, 31)
	if _, err := moved.WriteToUDPAddrPort(pkt, b.A.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	recv(t, pb.rtp)
	if src := b.A.Stats().Source; src != moved.LocalAddr().(*net.UDPAddr).AddrPort() {
		t.Fatalf("A latched to %s, want the new port", src)
	}
	for i := range 3 {
		pb.sendRTP(b.B, rtpPacketOf(t, 0xbbbb0001, uint16(40+i)))
		got, _ := recv(t, moved)
		if s := binary.BigEndian.Uint16(got[2:4]); s != uint16(40+i) {
			t.Fatalf("A's new port got seq %d, want %d", s, 40+i)
		}
	}
	// A→B stays with the relay: B's phone now hears a rewritten stream
	// (the prompt's), which the kernel cannot continue. B→A goes back.
	waitFor(t, "B→A offloaded to the new port", func() bool {
		f := b.B.rtp.kflow.Load()
		return f != nil && f.dst == moved.LocalAddr().(*net.UDPAddr).AddrPort()
	})
	for i := range 3 {
		pb.sendRTP(b.B, rtpPacketOf(t, 0xbbbb0001, uint16(50+i)))
		got, _ := recv(t, moved)
		if s := binary.BigEndian.Uint16(got[2:4]); s != uint16(50+i) {
			t.Fatalf("A's new port got seq %d from the kernel, want %d", s, 50+i)
		}
	}
	if got := b.B.Stats().PacketsKernel; got < 3 {
		t.Fatalf("kernel forwarded %d B→A packets in all, want the last 3 at least", got)
	}
}

// gathered scrapes reg for one counter's value.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s in the scrape", name)
	return 0
}

// TestKernelSweepOfSteadyCallsAllocatesNothing: once a call is offloaded,
// the sweep (each second, every bridge) and a count (each scrape, each
// CDR) only read the kernel's counters; garbage there would be made for
// every call up, every second, while the calls themselves allocate nothing.
func TestKernelSweepOfSteadyCallsAllocatesNothing(t *testing.T) {
	r := newKernelRelay(t, nil)
	b, pa, pb := kernelCall(t, r)
	waitFor(t, "both directions offloaded", func() bool { return offloaded(b) })
	exchange(t, b, pa, pb, 2, 5)
	h, ok := readKernelView(loopback())
	if !ok {
		t.Fatal("no kernel view of this host")
	}
	fa := b.A.rtp.kflow.Load()
	if n := testing.AllocsPerRun(50, func() { b.kernelSweepBridge(r.kernel, h) }); n != 0 {
		t.Errorf("a sweep of an offloaded call allocated %.1f times", n)
	}
	if n := testing.AllocsPerRun(50, b.kernelCount); n != 0 {
		t.Errorf("a count of an offloaded call allocated %.1f times", n)
	}
	if b.A.rtp.kflow.Load() != fa {
		t.Fatal("the sweep replaced a flow that had not changed")
	}
	// The counts still arrive, through the same buffers.
	exchange(t, b, pa, pb, 7, 5)
	b.kernelCount()
	if got := b.A.Stats().PacketsKernel; got != 10 {
		t.Fatalf("kernel forwarded %d A→B, want 10", got)
	}
}
