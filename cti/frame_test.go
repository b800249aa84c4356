package cti_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/yimen/yimen/cti"
)

// Events of every frame-length encoding (7-bit, 16-bit, 64-bit), published
// back to back so the writer sends them in one batch, reach a client intact
// and in order.
func TestEventsOfEveryFrameSizeArriveIntact(t *testing.T) {
	e := newEnv(t, cti.Config{})
	c := e.dial(tokWall)
	if _, err := c.Subscribe(e.cctx(), "tenant"); err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 40, 125, 126, 200, 65535, 65536, 70000}
	for _, n := range sizes {
		if _, err := e.hub.Publish("demo", cti.Event{Type: "test.size", Data: map[string]string{"pad": strings.Repeat("x", n)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range sizes {
		ev := next(t, c)
		var d struct{ Pad string }
		if err := json.Unmarshal(ev.Data, &d); err != nil || ev.Type != "test.size" || len(d.Pad) != n {
			t.Fatalf("event %s with %d bytes of padding (%v), want %d", ev.Type, len(d.Pad), err, n)
		}
	}
}
