package knowledge

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// termList is a term's postings in a tenant's articles, by article id,
// each with its field-weighted count Σ weight·tf/(tf+1.2).
type termList struct {
	ids []int64
	w   []float64
}

// postings reads the blocks of terms in one range scan of kb_blocks and
// decodes them.
func (s *Service) postings(ctx context.Context, tenant string, terms []string) (map[string]*termList, error) {
	out := map[string]*termList{}
	if len(terms) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(terms)+1)
	args = append(args, tenant)
	for _, t := range terms {
		args = append(args, t)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, postingsSQL(len(terms)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []posting
	var term string
	var block int64
	var blob sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&term, &block, &blob); err != nil {
			return nil, err
		}
		ps, err = decodeBlock(block, blob, ps[:0])
		if err != nil {
			// The block's postings decoded so far still count; the rest
			// of the index answers. Reindex repairs it.
			s.log.WarnContext(ctx, "knowledge index block damaged", "term", term, "block", block, "err", err)
		}
		l := out[term]
		if l == nil {
			l = &termList{}
			out[term] = l
		}
		for _, p := range ps {
			w := 0.0
			for f, k := range p.tf {
				if k > 0 {
					w += fieldWeight(f) * float64(k) / (float64(k) + 1.2)
				}
			}
			l.ids = append(l.ids, p.id)
			l.w = append(l.w, w)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, l := range out {
		if !slices.IsSorted(l.ids) { // blocks arrive in key order; this is a guard
			sortList(l)
		}
	}
	return out, nil
}

// postingsSQL reads the blocks of n terms of a tenant: one range of the
// primary key per term.
func postingsSQL(n int) string {
	return `SELECT term, block, postings FROM kb_blocks WHERE tenant=? AND term IN (?` + strings.Repeat(",?", n-1) + `)`
}

func sortList(l *termList) {
	idx := make([]int, len(l.ids))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(l.ids[a] - l.ids[b]) })
	ids, w := make([]int64, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		ids[i], w[i] = l.ids[j], l.w[j]
	}
	l.ids, l.w = ids, w
}

// scoredList is the articles satisfying an alternative or a group, by id,
// with their score for it.
type scoredList struct {
	ids []int64
	sc  []float64
}

// matched is an article that satisfies enough of a query's groups, with
// its text score (before popularity).
type matched struct {
	id    int64
	score float64
	r     *rankInfo // once checked against the articles
}

// match finds the articles that satisfy enough of the groups (every
// phrase group among them) and scores them: Σ over the groups satisfied
// of the best alternative's Σ idf(t)·w(t) over its needed terms plus half
// that over its segmenter words, times the share of groups satisfied.
func match(gs []group, lists map[string]*termList, df map[string]int, n int) []matched {
	if len(gs) == 0 {
		return nil
	}
	groupLists := make([]scoredList, len(gs))
	for gi, g := range gs {
		var u scoredList
		for _, a := range g.alts {
			u = unionMax(u, altList(a, lists, df, n))
		}
		groupLists[gi] = u
	}
	need := minShould(len(gs))
	// The articles of enough groups: a walk over the groups' sorted lists
	// together, taking the smallest id at their heads each step.
	heads := make([]int, len(gs))
	var out []matched
	for {
		next := int64(-1)
		for gi, l := range groupLists {
			if heads[gi] < len(l.ids) && (next < 0 || l.ids[heads[gi]] < next) {
				next = l.ids[heads[gi]]
			}
		}
		if next < 0 {
			break
		}
		held, total, ok := 0, 0.0, true
		for gi, l := range groupLists {
			if heads[gi] < len(l.ids) && l.ids[heads[gi]] == next {
				held++
				total += l.sc[heads[gi]]
				heads[gi]++
			} else if gs[gi].phrase {
				ok = false
			}
		}
		if ok && held >= need && held > 0 {
			out = append(out, matched{id: next, score: total * float64(held) / float64(len(gs))})
		}
	}
	return out
}

// altList is the articles that hold every needed term of a, scored.
func altList(a alt, lists map[string]*termList, df map[string]int, n int) scoredList {
	needs := make([]*termList, 0, len(a.need))
	idfs := map[*termList]float64{}
	for _, t := range a.need {
		l := lists[t]
		if l == nil || len(l.ids) == 0 {
			return scoredList{}
		}
		if _, dup := idfs[l]; !dup {
			needs = append(needs, l)
		}
		idfs[l] = idf(n, df[t])
	}
	slices.SortFunc(needs, func(x, y *termList) int { return len(x.ids) - len(y.ids) })
	first := needs[0]
	out := scoredList{ids: slices.Clone(first.ids), sc: make([]float64, len(first.ids))}
	for i, w := range first.w {
		out.sc[i] = idfs[first] * w
	}
	for _, l := range needs[1:] {
		out = intersectAdd(out, l, idfs[l])
	}
	for _, t := range a.bonus {
		if l := lists[t]; l != nil {
			addWhere(out, l, 0.5*idf(n, df[t]))
		}
	}
	return out
}

// intersectAdd keeps the articles of s that l holds, adding k·w to their
// score. s is the shorter list: l is stepped through by galloping.
func intersectAdd(s scoredList, l *termList, k float64) scoredList {
	out := scoredList{ids: s.ids[:0], sc: s.sc[:0]}
	j := 0
	for i, id := range s.ids {
		j = seek(l.ids, j, id)
		if j == len(l.ids) {
			break
		}
		if l.ids[j] == id {
			out.ids = append(out.ids, id)
			out.sc = append(out.sc, s.sc[i]+k*l.w[j])
		}
	}
	return out
}

// addWhere adds k·w to the score of the articles of s that l holds.
func addWhere(s scoredList, l *termList, k float64) {
	j := 0
	for i, id := range s.ids {
		j = seek(l.ids, j, id)
		if j == len(l.ids) {
			return
		}
		if l.ids[j] == id {
			s.sc[i] += k * l.w[j]
		}
	}
}

// seek is the first index from j on whose id is at least id: a gallop,
// then a binary search, so a short list steps through a long one in
// logarithmic steps.
func seek(ids []int64, j int, id int64) int {
	if j >= len(ids) || ids[j] >= id {
		return j
	}
	step := 1
	lo := j
	for j+step < len(ids) && ids[j+step] < id {
		lo = j + step
		step *= 2
	}
	hi := min(len(ids), j+step+1)
	k, _ := slices.BinarySearch(ids[lo:hi], id)
	return lo + k
}

// unionMax merges two scored lists, an article in both keeping its
// better score.
func unionMax(a, b scoredList) scoredList {
	if len(a.ids) == 0 {
		return b
	}
	if len(b.ids) == 0 {
		return a
	}
	out := scoredList{ids: make([]int64, 0, len(a.ids)+len(b.ids)), sc: make([]float64, 0, len(a.ids)+len(b.ids))}
	i, j := 0, 0
	for i < len(a.ids) || j < len(b.ids) {
		switch {
		case j == len(b.ids) || (i < len(a.ids) && a.ids[i] < b.ids[j]):
			out.ids, out.sc = append(out.ids, a.ids[i]), append(out.sc, a.sc[i])
			i++
		case i == len(a.ids) || b.ids[j] < a.ids[i]:
			out.ids, out.sc = append(out.ids, b.ids[j]), append(out.sc, b.sc[j])
			j++
		default:
			out.ids, out.sc = append(out.ids, a.ids[i]), append(out.sc, max(a.sc[i], b.sc[j]))
			i++
			j++
		}
	}
	return out
}

// better orders matches best first (score, then the older article).
func better(a, b matched) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// best moves the k best of ms to its front, in order, and returns them:
// a selection, then a sort of only those k (a query of common words
// matches tens of thousands of articles, of which a page is shown).
func best(ms []matched, k int) []matched {
	if k >= len(ms) {
		slices.SortFunc(ms, func(a, b matched) int { return cmpMatched(a, b) })
		return ms
	}
	lo, hi := 0, len(ms)-1
	for lo < hi {
		p := partition(ms, lo, hi)
		switch {
		case p == k:
			lo = hi
		case p < k:
			lo = p + 1
		default:
			hi = p - 1
		}
	}
	top := ms[:k]
	slices.SortFunc(top, func(a, b matched) int { return cmpMatched(a, b) })
	return top
}

func cmpMatched(a, b matched) int {
	switch {
	case better(a, b):
		return -1
	case better(b, a):
		return 1
	}
	return 0
}

// partition puts ms[lo..hi] around a pivot (the middle one), the better
// ones first, and returns the pivot's place.
func partition(ms []matched, lo, hi int) int {
	mid := lo + (hi-lo)/2
	ms[mid], ms[hi] = ms[hi], ms[mid]
	pivot := ms[hi]
	i := lo
	for j := lo; j < hi; j++ {
		if better(ms[j], pivot) {
			ms[i], ms[j] = ms[j], ms[i]
			i++
		}
	}
	ms[i], ms[hi] = ms[hi], ms[i]
	return i
}
