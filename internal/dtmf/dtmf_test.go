package dtmf

import (
	"encoding/binary"
	"testing"
)

func event(pt uint8, ts uint32, ev byte, end bool) []byte {
	p := make([]byte, 16)
	p[0], p[1] = 0x80, pt
	binary.BigEndian.PutUint32(p[4:], ts)
	p[12] = ev
	if end {
		p[13] = 0x80
	}
	return p
}

func TestDetectorReportsEachEventOnce(t *testing.T) {
	d := NewDetector(0, 101)
	// "5": start, two repeats, three end packets; then "#"; then an audio packet and the other leg.
	for _, p := range [][]byte{event(101, 1000, 5, false), event(101, 1000, 5, false), event(101, 1000, 5, true), event(101, 1000, 5, true), event(101, 1000, 5, true)} {
		d.OnRTP(0, p)
	}
	d.OnRTP(0, event(101, 2000, 11, false))
	d.OnRTP(0, event(8, 3000, 1, false))
	d.OnRTP(1, event(101, 4000, 2, false))
	d.OnRTP(0, event(101, 5000, 99, false))
	d.OnRTP(0, []byte{0x80, 101, 0, 0})
	var got []byte
	for len(d.Keys()) > 0 {
		got = append(got, <-d.Keys())
	}
	if string(got) != "5#" {
		t.Fatalf("keys = %q, want 5#", got)
	}
	// The same key pressed again is a new event (new timestamp).
	d.OnRTP(0, event(101, 6000, 5, false))
	if k := <-d.Keys(); k != '5' {
		t.Fatal(k)
	}
}

func TestParseINFO(t *testing.T) {
	cases := []struct {
		ct, body string
		want     byte
		ok       bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', true},
		{"Application/DTMF-Relay; charset=x", "signal= #\nDuration=100", '#', true},
		{"application/dtmf", "*", '*', true},
		{"application/dtmf", "12", 0, false},
		{"application/dtmf-relay", "Duration=160", 0, false},
		{"text/plain", "5", 0, false},
		{"application/dtmf", "x", 0, false},
	}
	for _, c := range cases {
		k, ok := ParseINFO(c.ct, []byte(c.body))
		if k != c.want || ok != c.ok {
			t.Errorf("%s %q = %q %v", c.ct, c.body, k, ok)
		}
	}
}

func BenchmarkDetector(b *testing.B) {
	d := NewDetector(0, 101)
	audio := event(8, 1, 0, false)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.OnRTP(0, audio)
	}
}

func FuzzDetector(f *testing.F) {
	f.Add(event(101, 1, 5, false))
	f.Add([]byte{0x90, 101, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, p []byte) {
		d := NewDetector(0, 101)
		d.OnRTP(0, p)
		_, _ = ParseINFO("application/dtmf-relay", p)
	})
}

func TestEventRoundTripsThroughDetector(t *testing.T) {
	d := NewDetector(0, 101)
	seq := uint16(7)
	for i, k := range []byte("5#5") {
		var pkts [][]byte
		pkts, seq = Event(k, 101, 42, seq, uint32(1000*(i+1)))
		if len(pkts) != 6 || pkts[0][1] != 0x80|101 || pkts[5][13]&0x80 == 0 {
			t.Fatalf("packets for %c malformed", k)
		}
		for _, p := range pkts {
			d.OnRTP(0, p)
		}
	}
	var got []byte
	for len(d.Keys()) > 0 {
		got = append(got, <-d.Keys())
	}
	if string(got) != "5#5" {
		t.Fatalf("detected %q", got)
	}
	if p, _ := Event('x', 101, 1, 1, 1); p != nil {
		t.Fatal("unknown key encoded")
	}
}

// The detector is a media tap: it sees every RTP packet of the leg it
// watches, so neither an audio packet nor a repeat of an event already
// reported may allocate.
func TestDetectorTapDoesNotAllocate(t *testing.T) {
	d := NewDetector(0, 101)
	audio := event(8, 1000, 0, false)
	repeat := event(101, 2000, 5, false)
	d.OnRTP(0, repeat) // reported once; what follows are its repeats
	for name, pkt := range map[string][]byte{"audio": audio, "event repeat": repeat} {
		if n := testing.AllocsPerRun(1000, func() { d.OnRTP(0, pkt) }); n != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", name, n)
		}
	}
	if len(d.Keys()) != 1 {
		t.Errorf("%d keys, want the one event reported once", len(d.Keys()))
	}
}
