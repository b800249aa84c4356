package fifomap

import (
	"fmt"
	"testing"
)

func TestOldestFirstAndInPlaceValues(t *testing.T) {
	m := New[string, int](4)
	for i := range 3 {
		m.Add(fmt.Sprint(i), i)
	}
	e, ok := m.Get("1")
	if !ok || e.Value != 1 {
		t.Fatalf("Get(1) = %v, %v", e, ok)
	}
	e.Value = 10
	if e, _ := m.Get("1"); e.Value != 10 {
		t.Fatal("a value changed in place was lost")
	}
	if o, ok := m.Oldest(); !ok || o.Key != "0" {
		t.Fatalf("oldest %v, want 0", o)
	}
	m.DropOldest()
	if _, ok := m.Get("0"); ok || m.Len() != 2 {
		t.Fatalf("0 kept after DropOldest, len %d", m.Len())
	}
	// A key added again: the newer entry stays when the older one goes.
	m.Add("1", 11)
	m.DropOldest() // the first "1"
	if e, ok := m.Get("1"); !ok || e.Value != 11 {
		t.Fatalf("re-added key: %v, %v", e, ok)
	}
	m.DropOldest() // "2"
	m.DropOldest() // the second "1"
	if _, ok := m.Oldest(); ok || m.Len() != 0 {
		t.Fatalf("entries left: %d", m.Len())
	}
	m.DropOldest() // on empty: nothing
}

// A long-lived map that adds and drops keeps a slice the size of what it
// holds, not of everything it ever held.
func TestDroppedEntriesDoNotPileUp(t *testing.T) {
	m := New[int, struct{}](0)
	for i := range 100_000 {
		m.Add(i, struct{}{})
		if m.Len() > 100 {
			m.DropOldest()
		}
	}
	if m.Len() != 100 {
		t.Fatalf("len %d, want 100", m.Len())
	}
	if len(m.order) > 2200 {
		t.Fatalf("order holds %d slots for 100 entries", len(m.order))
	}
	if o, _ := m.Oldest(); o.Key != 99_900 {
		t.Fatalf("oldest %d, want 99900", o.Key)
	}
}
