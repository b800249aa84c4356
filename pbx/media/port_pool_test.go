package media

import "testing"

func TestPortPoolIsFIFOOfEvenPorts(t *testing.T) {
	p := newPortPool(30000, 3)
	var got []uint16
	for range 3 {
		port, ok := p.take()
		if !ok {
			t.Fatal("pool empty too soon")
		}
		got = append(got, port)
	}
	if got[0] != 30000 || got[1] != 30002 || got[2] != 30004 {
		t.Fatalf("ports %v, want 30000 30002 30004", got)
	}
	if _, ok := p.take(); ok {
		t.Fatal("took a fourth port from a pool of three")
	}
	p.put(30002)
	p.put(30000)
	if port, _ := p.take(); port != 30002 {
		t.Errorf("took %d, want the longest-resting 30002", port)
	}
	if p.free() != 1 {
		t.Errorf("free = %d, want 1", p.free())
	}
}
