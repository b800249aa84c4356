package sdp

import (
	"net/netip"
	"runtime"
	"testing"
)

func TestVersionCounter(t *testing.T) {
	c := NewVersionCounter("yimen", 1000, 5)
	r := Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000, Codecs: SupportedCodecs(), Direction: SendRecv}
	steps := []struct {
		name string
		dir  Direction
		want uint64
	}{
		{"first body keeps the starting version", SendRecv, 5},
		{"unchanged refresh keeps it", SendRecv, 5},
		{"hold re-offer bumps it", SendOnly, 6},
		{"repeating the hold keeps it", SendOnly, 6},
		{"unhold bumps again, even back to an earlier body", SendRecv, 7},
	}
	for _, st := range steps {
		r.Direction = st.dir
		r.Version = 999 // the counter, not the caller, decides
		body := c.Build(r, nil)
		s, err := Parse(body)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if s.Origin.Version != st.want || c.Version() != st.want || s.Origin.SessionID != 1000 || s.Origin.Username != "yimen" {
			t.Errorf("%s: o= = %+v, counter %d; want version %d id 1000", st.name, s.Origin, c.Version(), st.want)
		}
		body[0] = 'x' // the caller owns the result
	}
	if c.SessionID() != 1000 {
		t.Errorf("SessionID = %d", c.SessionID())
	}
}

func TestUnchanged(t *testing.T) {
	a, _ := Parse([]byte(sippUAC))
	b, _ := Parse([]byte(crlf(sippUAC)))
	if !Unchanged(a, b) {
		t.Error("same o= seen as changed")
	}
	c, _ := Parse([]byte(oldHold))
	d, _ := Parse([]byte(sessionVsMediaConn)) // same id 7, version 7 vs 8
	if Unchanged(d, c) {
		t.Error("new version seen as unchanged")
	}
	if Unchanged(nil, a) || Unchanged(a, nil) {
		t.Error("nil seen as unchanged")
	}
}

// A counter keeps what it needs of the last body, not the body: a call holds
// two for its whole length.
func TestVersionCounterKeepsNoBody(t *testing.T) {
	r := Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 4000, Codecs: SupportedCodecs(), Direction: SendRecv}
	if n := len(Build(r, nil)); n < 120 {
		t.Fatalf("body of %d bytes: too short to tell a copy from none", n)
	}
	const n = 2000
	held := make([]*VersionCounter, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range held {
		held[i] = NewVersionCounter("yimen", uint64(i), 1)
		held[i].Build(r, nil)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	runtime.KeepAlive(held)
	if per > 96 {
		t.Errorf("a counter holds %d bytes after one body, want its own fields only (≤ 96)", per)
	}
}
