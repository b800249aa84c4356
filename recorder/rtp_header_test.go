package recorder

import (
	"testing"

	"github.com/pion/rtp"
)

func withExtension(t testing.TB, p rtp.Packet, profile uint16, id uint8, payload []byte) rtp.Packet {
	t.Helper()
	p.Extension, p.ExtensionProfile = true, profile
	if err := p.SetExtension(id, payload); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseRTPMatchesPion(t *testing.T) {
	cases := []rtp.Packet{
		{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: 7, Timestamp: 160, SSRC: 0xdeadbeef}, Payload: make([]byte, 160)},
		{Header: rtp.Header{Version: 2, PayloadType: 0, CSRC: []uint32{1, 2}, Marker: true}, Payload: []byte{1, 2, 3}},
		withExtension(t, rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8}, Payload: []byte{4, 5}}, 0xBEDE, 1, []byte{9}),
		{Header: rtp.Header{Version: 2, PayloadType: 8, Padding: true, PaddingSize: 3}, Payload: []byte{6, 7}, PaddingSize: 3},
	}
	for i, p := range cases {
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		h, ok := parseRTP(b)
		if !ok {
			t.Fatalf("case %d: rejected", i)
		}
		var want rtp.Packet
		if err := want.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if h.PT != want.PayloadType || h.Seq != want.SequenceNumber || h.Timestamp != want.Timestamp || h.SSRC != want.SSRC ||
			string(b[h.Payload:h.End]) != string(want.Payload) {
			t.Errorf("case %d: got %+v payload %x, want %+v", i, h, b[h.Payload:h.End], want)
		}
	}
}

func TestParseRTPRejectsBrokenHeaders(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":            {0x80, 8, 0, 0},
		"version 1":        append([]byte{0x40, 8}, make([]byte, 10)...),
		"csrc past end":    append([]byte{0x8f, 8}, make([]byte, 10)...),
		"extension cut":    append([]byte{0x90, 8}, make([]byte, 12)...)[:14],
		"padding too long": append(append([]byte{0xa0, 8}, make([]byte, 10)...), 1, 200),
		"padding zero":     append(append([]byte{0xa0, 8}, make([]byte, 10)...), 1, 0),
	} {
		if _, ok := parseRTP(b); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseRTP(f *testing.F) {
	p := withExtension(f, rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, CSRC: []uint32{1}}, Payload: []byte{1, 2, 3}},
		0x1000, 1, []byte{1, 2, 3, 4})
	b, _ := p.Marshal()
	f.Add(b)
	f.Add(append([]byte{0xa0, 0}, make([]byte, 12)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := parseRTP(b)
		if !ok {
			return
		}
		if h.Payload < 12 || h.Payload > h.End || h.End > len(b) {
			t.Fatalf("bounds %+v for %d bytes", h, len(b))
		}
		var want rtp.Packet
		if err := want.Unmarshal(b); err == nil && string(want.Payload) != string(b[h.Payload:h.End]) {
			t.Fatalf("payload %x, pion says %x", b[h.Payload:h.End], want.Payload)
		}
	})
}
