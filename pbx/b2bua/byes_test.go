package b2bua

import (
	"fmt"
	"testing"
	"time"
)

func TestAnsweredByesRemembersTimerJ(t *testing.T) {
	var a answeredByes
	t0 := time.Unix(1000, 0)
	a.add("a", 3, t0)
	if !a.has("a", 3) {
		t.Fatal("a BYE just answered is not remembered")
	}
	if a.has("a", 4) || a.has("b", 3) {
		t.Fatal("another CSeq or Call-ID counts as the answered BYE")
	}
	// Many calls later, still within Timer J: remembered.
	for i := range 1000 {
		a.add(fmt.Sprint("c", i), 1, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if !a.has("a", 3) {
		t.Fatal("forgotten within Timer J")
	}
	// Past Timer J the old entries go, the fresh ones stay, and the
	// queue does not keep what it forgot.
	late := t0.Add(32*time.Second + 500*time.Millisecond)
	a.add("d", 2, late)
	if a.has("a", 3) || a.has("c0", 1) {
		t.Fatal("a BYE answered 32 s ago is still remembered")
	}
	if !a.has("c999", 1) || !a.has("d", 2) {
		t.Fatal("a BYE answered within Timer J was forgotten")
	}
	if len(a.seq) != 500 || len(a.fifo)-a.head != 500 {
		t.Fatalf("%d remembered, %d queued; want 500 each", len(a.seq), len(a.fifo)-a.head)
	}
}
