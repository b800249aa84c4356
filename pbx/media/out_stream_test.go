package media

import (
	"encoding/binary"
	"testing"
)

func stampedPacket(ssrc uint32, seq uint16, ts uint32) []byte {
	p := make([]byte, 12+160)
	p[0] = 0x80
	binary.BigEndian.PutUint16(p[2:4], seq)
	binary.BigEndian.PutUint32(p[4:8], ts)
	binary.BigEndian.PutUint32(p[8:12], ssrc)
	p[12] = 0xd5
	return p
}

type rtpHead struct {
	ssrc   uint32
	seq    uint16
	ts     uint32
	marker bool
}

func headOf(p []byte) rtpHead {
	return rtpHead{binary.BigEndian.Uint32(p[8:12]), binary.BigEndian.Uint16(p[2:4]), binary.BigEndian.Uint32(p[4:8]), p[1]&0x80 != 0}
}

// The phone sees one stream: the first source as it came, then a second
// source (its sequence numbers far below the first's, as a transfer's
// random start can be) carried on from the last packet sent, with the
// marker on its first packet, then the first source again, carried on too.
func TestOutStreamCarriesOnAcrossSources(t *testing.T) {
	var o outStream
	steps := []struct {
		in   []byte
		want rtpHead
		same bool // passed through untouched
	}{
		{stampedPacket(0xaaaa, 60000, 1000), rtpHead{0xaaaa, 60000, 1000, false}, true},
		{stampedPacket(0xaaaa, 60001, 1160), rtpHead{0xaaaa, 60001, 1160, false}, true},
		{stampedPacket(0xbbbb, 17, 5), rtpHead{0xaaaa, 60002, 1320, true}, false},
		{stampedPacket(0xbbbb, 18, 165), rtpHead{0xaaaa, 60003, 1480, false}, false},
		{stampedPacket(0xaaaa, 60100, 90000), rtpHead{0xaaaa, 60004, 1640, true}, false},
		{stampedPacket(0xaaaa, 60101, 90160), rtpHead{0xaaaa, 60005, 1800, false}, false},
	}
	for i, s := range steps {
		before := headOf(s.in)
		out := o.stamp(s.in)
		if got := headOf(out); got != s.want {
			t.Errorf("packet %d: sent %+v, want %+v", i, got, s.want)
		}
		if (&out[0] == &s.in[0]) != s.same {
			t.Errorf("packet %d: passed through %v, want %v", i, &out[0] == &s.in[0], s.same)
		}
		if headOf(s.in) != before || out[12] != 0xd5 || len(out) != len(s.in) {
			t.Errorf("packet %d: the caller's packet changed, or the payload was lost", i)
		}
	}
}

// Sequence numbers and timestamps wrap as RTP's do.
func TestOutStreamWraps(t *testing.T) {
	var o outStream
	o.stamp(stampedPacket(1, 65535, 0xffffff00))
	got := headOf(o.stamp(stampedPacket(2, 400, 7)))
	if want := (rtpHead{1, 0, 0xffffffa0, true}); got != want {
		t.Errorf("after a change at the top of the range: %+v, want %+v", got, want)
	}
}

// A leg makes its rewrite buffer at its first new source, never before and
// never per packet: a call whose source never changes holds none.
func TestOutStreamBufferOnlyOnceASourceChanges(t *testing.T) {
	var o outStream
	first := stampedPacket(1, 100, 1000)
	if n := testing.AllocsPerRun(100, func() { o.stamp(first) }); n != 0 || o.buf != nil {
		t.Fatalf("the first source: %v allocations per packet, buffer made %v; want 0, false", n, o.buf != nil)
	}
	second := stampedPacket(2, 7, 50)
	o.stamp(second)
	if o.buf == nil {
		t.Fatal("no rewrite buffer after the source changed")
	}
	if n := testing.AllocsPerRun(100, func() { o.stamp(second) }); n != 0 {
		t.Fatalf("the second source: %v allocations per packet, want 0", n)
	}
}
