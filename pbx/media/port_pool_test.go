package media

import (
	"slices"
	"testing"
)

func TestPortPoolHandsOutEachEvenPortOnce(t *testing.T) {
	p := newPortPool(30000, 3)
	var got []uint16
	for range 3 {
		port, ok := p.take()
		if !ok {
			t.Fatal("pool empty too soon")
		}
		got = append(got, port)
	}
	slices.Sort(got)
	if !slices.Equal(got, []uint16{30000, 30002, 30004}) {
		t.Fatalf("ports %v, want 30000 30002 30004 once each", got)
	}
	if _, ok := p.take(); ok {
		t.Fatal("took a fourth port from a pool of three")
	}
	p.put(30002)
	p.put(30000)
	if port, _ := p.take(); port != 30002 {
		t.Errorf("took %d, want 30002: with two free, the one freed last rests", port)
	}
	if p.free() != 1 {
		t.Errorf("free = %d, want 1", p.free())
	}
}

// A freed port rests behind at least half of the free ports, and the order
// ports are handed out in is not the order they were freed in (a stranger
// who saw one call's relay port cannot name the next call's).
func TestPortPoolIsRandomAmongTheRested(t *testing.T) {
	const pairs = 100
	p := newPortPool(30000, pairs)
	freed := make([]uint16, 0, pairs)
	for range pairs {
		port, _ := p.take()
		freed = append(freed, port)
	}
	for _, port := range freed {
		p.put(port)
	}
	var order []uint16
	for k := range pairs / 2 {
		port, _ := p.take()
		// The k-th take can reach only the first (pairs+1)/2+k ports freed.
		if i := slices.Index(freed, port); i >= (pairs+1)/2+k {
			t.Fatalf("take %d handed out the %d-th freed port: it had not rested", k, i)
		}
		order = append(order, port)
	}
	if slices.Equal(order, freed[:pairs/2]) {
		t.Fatal("ports came back in the order they were freed: predictable")
	}
	again := newPortPool(30000, pairs)
	var first []uint16
	for range 10 {
		port, _ := again.take()
		first = append(first, port)
	}
	if slices.Equal(first, []uint16{30000, 30002, 30004, 30006, 30008, 30010, 30012, 30014, 30016, 30018}) {
		t.Fatal("a fresh pool hands out its ports in order")
	}
}
