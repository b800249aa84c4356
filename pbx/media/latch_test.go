package media

import (
	"net/netip"
	"testing"
	"time"
)

// A stranger who guesses the caller-facing relay port and sends first must
// not take the call's audio: the caller still latches and hears the callee,
// and the stranger's packet reaches no one.
func TestStrangerSendingFirstDoesNotLatch(t *testing.T) {
	c := newCall(t, newTestRelay(t, nil))
	stranger := newPhoneAt(t, netip.MustParseAddr("127.0.0.2"))
	stranger.sendRTP(c.b.A, rtpPacket(t, 666))
	waitFor(t, "stranger dropped", func() bool { return c.b.A.Stats().DroppedForeign == 1 })
	if s := c.b.A.Stats(); s.Latched || s.Remote != c.pa.rtpA {
		t.Fatalf("leg A after a stranger's packet: %+v", s)
	}
	c.pa.sendRTP(c.b.A, rtpPacket(t, 1))
	if pkt, _ := recv(t, c.pb.rtp); seqOf(t, pkt) != 1 {
		t.Fatalf("callee got seq %d, want the caller's 1", seqOf(t, pkt))
	}
	c.pb.sendRTP(c.b.B, rtpPacket(t, 2))
	if pkt, _ := recv(t, c.pa.rtp); seqOf(t, pkt) != 2 {
		t.Fatal("the caller does not hear the callee")
	}
	if s := c.b.A.Stats(); s.Source != c.pa.rtpA || s.PacketsIn != 1 {
		t.Errorf("leg A latched to %s with %d packets, want the caller %s with 1", s.Source, s.PacketsIn, c.pa.rtpA)
	}
	// RTCP is held to the same rule.
	stranger.sendRTCP(c.b.A, rtcpPacket(t, 0x0bad))
	waitFor(t, "stranger's RTCP dropped", func() bool { return c.b.A.Stats().RTCPDropped == 1 })
}

// A phone behind NAT writes its private address into SDP and sends from the
// NAT's public one, the host its SIP came from.
func TestSignalHostLatchesBehindNAT(t *testing.T) {
	c := newCall(t, newTestRelay(t, nil))
	nat := newPhoneAt(t, netip.MustParseAddr("127.0.0.3"))
	c.b.A.SetRemote(netip.MustParseAddrPort("192.168.1.20:4000")) // the phone's private address
	nat.sendRTP(c.b.A, rtpPacket(t, 1))
	waitFor(t, "unsignalled host dropped", func() bool { return c.b.A.Stats().DroppedForeign == 1 })

	c.b.A.SetSignalHost(netip.MustParseAddr("127.0.0.3"))
	nat.sendRTP(c.b.A, rtpPacket(t, 2))
	if pkt, _ := recv(t, c.pb.rtp); seqOf(t, pkt) != 2 {
		t.Fatal("media from the signalling host was not relayed")
	}
	c.pb.sendRTP(c.b.B, rtpPacket(t, 3))
	if pkt, _ := recv(t, nat.rtp); seqOf(t, pkt) != 3 {
		t.Fatal("the NATed phone does not hear the callee at its public address")
	}
}

// A NAT that rebinds the phone's port mid-call keeps the call's audio: once
// the latched port has been quiet, a new port on an allowed host carrying
// the latched stream's SSRC takes over. Another stream, or the same stream
// while the latched port is still talking, does not.
func TestRelatchNeedsTheLatchedStreamAfterQuiet(t *testing.T) {
	b, _, _ := socketlessBridge(NewMetrics(nil))
	b.A.SetRemote(netip.MustParseAddrPort("192.0.2.1:4000"))
	b.B.SetRemote(netip.MustParseAddrPort("192.0.2.2:4000"))
	first, moved := netip.MustParseAddrPort("192.0.2.1:4000"), netip.MustParseAddrPort("192.0.2.1:4100")
	const ms = int64(time.Millisecond)
	b.forwardRTP(b.A, rtpPacketOf(t, 0xcafe, 1), first, 1000*ms)
	b.forwardRTP(b.A, rtpPacketOf(t, 0xcafe, 2), moved, 1100*ms) // latched port talked 100 ms ago
	b.forwardRTP(b.A, rtpPacketOf(t, 0xbeef, 3), moved, 2000*ms) // another stream, even after quiet
	if s := b.A.Stats(); s.Source != first || s.DroppedForeign != 2 {
		t.Fatalf("latch moved too soon or to another stream: %+v", s)
	}
	b.forwardRTP(b.A, rtpPacketOf(t, 0xcafe, 4), moved, 2000*ms)
	if s := b.A.Stats(); s.Source != moved || s.PacketsIn != 2 {
		t.Fatalf("the rebound port did not take over after a quiet second: %+v", s)
	}
	// RTCP never moves its latch.
	b.forwardRTCP(b.A, rtcpPacket(t, 0xcafe), first)
	b.forwardRTCP(b.A, rtcpPacket(t, 0xcafe), moved)
	if s := b.A.Stats(); s.RTCPIn != 1 || s.RTCPDropped != 1 {
		t.Fatalf("RTCP latch moved: %+v", s)
	}
}

// Changing the signalling host keeps a latch the new host still allows and
// drops one it does not.
func TestSignalHostChangeRevisitsTheLatch(t *testing.T) {
	b, _, _ := socketlessBridge(NewMetrics(nil))
	b.A.SetRemote(netip.MustParseAddrPort("10.0.0.5:4000"))
	b.A.SetSignalHost(netip.MustParseAddr("198.51.100.7"))
	src := netip.MustParseAddrPort("198.51.100.7:31000")
	b.forwardRTP(b.A, rtpPacket(t, 1), src, 1)
	if s := b.A.Stats(); !s.Latched || s.Source != src {
		t.Fatalf("not latched to the signalling host: %+v", s)
	}
	b.A.SetSignalHost(netip.MustParseAddr("198.51.100.7"))
	if !b.A.Stats().Latched {
		t.Fatal("the same host dropped the latch")
	}
	b.A.SetSignalHost(netip.MustParseAddr("203.0.113.9"))
	if s := b.A.Stats(); s.Latched {
		t.Fatalf("a latch the new host does not allow survived: %+v", s)
	}
	b.forwardRTP(b.A, rtpPacket(t, 2), src, 2)
	if s := b.A.Stats(); s.DroppedForeign != 1 {
		t.Fatalf("the old host is still accepted: %+v", s)
	}
}
