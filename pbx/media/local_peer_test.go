package media

import (
	"sync"
	"testing"
	"time"
)

// localSink is a LocalPeer that keeps what it is given.
type localSink struct {
	mu   sync.Mutex
	pkts [][]byte
}

func (s *localSink) WriteRTP(pkt []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pkts = append(s.pkts, append([]byte(nil), pkt...))
	return nil
}

func (s *localSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pkts)
}

// A leg whose SDP names a local peer's address hands that peer the relayed
// RTP and what is written to the leg, and sends nothing to the address
// itself; the peer's own packets still come in by datagram, and a leg
// pointed elsewhere, or at an address no longer registered, uses the
// kernel again.
func TestLocalPeerGetsTheLegsRTP(t *testing.T) {
	r := newTestRelay(t, nil)
	c := newCall(t, r)
	sink := &localSink{}
	r.SetLocalPeer(c.pb.rtpA, sink)
	c.b.B.SetRemote(c.pb.rtpA)

	c.pa.sendRTP(c.b.A, rtpPacket(t, 1))
	waitFor(t, "the local peer to get the relayed packet", func() bool { return sink.count() == 1 })
	if err := c.b.B.WriteRTP(rtpPacket(t, 2)); err != nil {
		t.Fatal(err)
	}
	if sink.count() != 2 || seqOf(t, sink.pkts[1]) != 2 {
		t.Fatalf("the local peer got %d packets", sink.count())
	}
	_ = c.pb.rtp.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := c.pb.rtp.ReadFromUDPAddrPort(make([]byte, 1500)); err == nil {
		t.Fatalf("the address got a datagram (%d bytes) as well", n)
	}

	c.pb.sendRTP(c.b.B, rtpPacket(t, 3)) // the peer's own audio: a datagram, as ever
	if got, _ := recv(t, c.pa.rtp); seqOf(t, got) != 3 {
		t.Fatalf("the caller got seq %d", seqOf(t, got))
	}

	r.SetLocalPeer(c.pb.rtpA, nil)
	c.b.B.SetRemote(c.pb.rtpA)
	c.pa.sendRTP(c.b.A, rtpPacket(t, 4))
	_ = c.pb.rtp.SetReadDeadline(time.Time{})
	if got, _ := recv(t, c.pb.rtp); seqOf(t, got) != 4 {
		t.Fatalf("after the peer left, the address got seq %d", seqOf(t, got))
	}
	if sink.count() != 2 {
		t.Errorf("the removed peer still got packets (%d)", sink.count())
	}
}

// BridgedPeer leads from the address one leg gives its peer to where the
// other leg sends: the other phone's SDP address, its latched source once
// it has sent, nothing for an address no leg has, nothing when the other
// leg has no destination yet, and nothing once the bridge is closed.
func TestBridgedPeerFindsTheOtherLegsPeer(t *testing.T) {
	r := newTestRelay(t, nil)
	c := newCall(t, r)
	if got, ok := r.BridgedPeer(c.b.A.LocalAddr()); !ok || got != c.pb.rtpA {
		t.Fatalf("from leg A: %v %v, want phone B's %v", got, ok, c.pb.rtpA)
	}
	if got, ok := r.BridgedPeer(c.b.B.LocalAddr()); !ok || got != c.pa.rtpA {
		t.Fatalf("from leg B: %v %v, want phone A's %v", got, ok, c.pa.rtpA)
	}
	if got, ok := r.BridgedPeer(c.pa.rtpA); ok {
		t.Fatalf("a phone's own address is no leg's, got %v", got)
	}

	d, err := r.NewBridge()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r.BridgedPeer(d.A.LocalAddr()); ok {
		t.Fatalf("leg B has no peer yet, got %v", got)
	}
	_ = d.Close()
	if _, ok := r.BridgedPeer(d.A.LocalAddr()); ok {
		t.Fatal("a closed bridge still answers")
	}
}
