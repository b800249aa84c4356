package knowledge

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestBlockRoundTrip: postings at both ends of a block and with large
// counts come back as written; out-of-block or falling ids are refused.
func TestBlockRoundTrip(t *testing.T) {
	const block = 7
	first, last := int64(block<<blockShift), int64(block<<blockShift+blockSize-1)
	ps := []posting{{id: first, tf: [3]uint32{1, 0, 0}}, {id: first + 1, tf: [3]uint32{0, 300, 2}}, {id: last, tf: [3]uint32{0, 1 << 20, 0}}}
	got, err := decodeBlock(block, encodeBlock(block, ps), nil)
	if err != nil || !reflect.DeepEqual(got, ps) {
		t.Fatalf("round trip: %v %v, want %v", got, err, ps)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var ps []posting
		for id := first; id <= last; id += 1 + rng.Int64N(400) {
			ps = append(ps, posting{id: id, tf: [3]uint32{rng.Uint32N(3), rng.Uint32N(40), rng.Uint32N(2)}})
		}
		if got, err := decodeBlock(block, encodeBlock(block, ps), nil); err != nil || !reflect.DeepEqual(got, ps) {
			t.Fatalf("round trip of %d postings: %v", len(ps), err)
		}
	}
	for name, bad := range map[string][]posting{
		"before the block": {{id: first - 1}},
		"after the block":  {{id: last + 1}},
		"falling":          {{id: first + 5}, {id: first + 2}},
		"repeated":         {{id: first + 5}, {id: first + 5}},
	} {
		if _, err := decodeBlock(block, encodeBlock(block, bad), nil); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := decodeBlock(block, encodeBlock(block, ps[:1])[:2], nil); err == nil {
		t.Error("a cut block decoded")
	}
}

// TestMergeBlock: an article's old postings go, its new ones come in
// order, the others stay.
func TestMergeBlock(t *testing.T) {
	old := []posting{{id: 1, tf: [3]uint32{1}}, {id: 3, tf: [3]uint32{1}}, {id: 5, tf: [3]uint32{1}}, {id: 9, tf: [3]uint32{1}}}
	got := mergeBlock(old, map[int64]bool{3: true}, []posting{{id: 0, tf: [3]uint32{2}}, {id: 5, tf: [3]uint32{7}}, {id: 10, tf: [3]uint32{2}}})
	want := []posting{{id: 0, tf: [3]uint32{2}}, {id: 1, tf: [3]uint32{1}}, {id: 5, tf: [3]uint32{7}}, {id: 9, tf: [3]uint32{1}}, {id: 10, tf: [3]uint32{2}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	if got := mergeBlock(old, map[int64]bool{1: true, 3: true, 5: true, 9: true}, nil); len(got) != 0 {
		t.Errorf("all dropped: %v", got)
	}
}

// FuzzDecodeBlock: any stored bytes decode or are refused without a
// panic; what decodes is ids rising inside the block, and encodes back to
// bytes that decode to the same postings.
func FuzzDecodeBlock(f *testing.F) {
	f.Add(int64(3), encodeBlock(3, []posting{{id: 3 << blockShift, tf: [3]uint32{1, 2, 0}}, {id: 3<<blockShift + 4095, tf: [3]uint32{0, 1, 0}}}))
	f.Add(int64(0), []byte{0x80})
	f.Add(int64(1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, block int64, b []byte) {
		block &= 1<<40 - 1
		ps, err := decodeBlock(block, b, nil)
		if err != nil {
			return
		}
		for i, p := range ps {
			if blockOf(p.id) != block || (i > 0 && p.id <= ps[i-1].id) {
				t.Fatalf("decoded %v out of order or block %d", ps, block)
			}
		}
		again, err := decodeBlock(block, encodeBlock(block, ps), nil)
		if err != nil || !reflect.DeepEqual(again, ps) {
			t.Fatalf("re-encoded %v: %v %v", ps, again, err)
		}
	})
}
