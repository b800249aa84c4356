package knowledge

import (
	"encoding/binary"
	"errors"
)

// A term's postings are stored in blocks: one row per tenant, term and
// range of blockSize article ids, holding the postings of the articles in
// that range. A frequent term over 100 000 articles is then a few dozen
// rows read in one index range scan instead of tens of thousands of
// one-posting rows (each of which costs a B-tree step and a driver
// round-trip), while re-indexing one article rewrites one small block per
// term it holds or held.
const (
	blockShift = 12
	blockSize  = 1 << blockShift
)

// blockOf is the block an article's postings go in.
func blockOf(id int64) int64 { return id >> blockShift }

// posting is an article's count of a term in each field.
type posting struct {
	id int64
	tf [3]uint32
}

// errBadBlock reports a stored block that does not decode: the index is
// damaged and wants a rebuild (Reindex).
var errBadBlock = errors.New("knowledge: damaged posting block")

// encodeBlock writes postings (sorted by id, all in block) as, per
// posting, the id's distance from the previous one (from the block's
// first id for the first) and the three fields' counts, as uvarints.
func encodeBlock(block int64, ps []posting) []byte {
	out := make([]byte, 0, 4*len(ps))
	prev := block<<blockShift - 1
	for _, p := range ps {
		out = binary.AppendUvarint(out, uint64(p.id-prev))
		prev = p.id
		for _, n := range p.tf {
			out = binary.AppendUvarint(out, uint64(n))
		}
	}
	return out
}

// decodeBlock appends the postings of a stored block to ps, checking that
// ids rise and stay inside the block.
func decodeBlock(block int64, b []byte, ps []posting) ([]posting, error) {
	prev := block<<blockShift - 1
	end := (block + 1) << blockShift
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		if k <= 0 || d == 0 || d > blockSize {
			return ps, errBadBlock
		}
		b = b[k:]
		p := posting{id: prev + int64(d)}
		if p.id >= end {
			return ps, errBadBlock
		}
		prev = p.id
		for f := range p.tf {
			n, k := binary.Uvarint(b)
			if k <= 0 || n > 1<<31 {
				return ps, errBadBlock
			}
			p.tf[f] = uint32(n)
			b = b[k:]
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// mergeBlock is a block's postings with those of the articles in drop
// and in add removed, then add's (sorted by id) put in.
func mergeBlock(old []posting, drop map[int64]bool, add []posting) []posting {
	out := make([]posting, 0, len(old)+len(add))
	i := 0
	for _, p := range old {
		for i < len(add) && add[i].id < p.id {
			out = append(out, add[i])
			i++
		}
		if drop[p.id] || (i < len(add) && add[i].id == p.id) {
			continue
		}
		out = append(out, p)
	}
	return append(out, add[i:]...)
}
