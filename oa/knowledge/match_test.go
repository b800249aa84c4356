package knowledge

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteMatch scores every article of the lists the way the search did
// before posting lists were intersected: per article, per group, the
// best alternative whose needed terms it all holds.
func bruteMatch(gs []group, lists map[string]*termList, df map[string]int, n int) map[int64]float64 {
	w := map[string]map[int64]float64{}
	ids := map[int64]bool{}
	for t, l := range lists {
		w[t] = map[int64]float64{}
		for i, id := range l.ids {
			w[t][id] = l.w[i]
			ids[id] = true
		}
	}
	out := map[int64]float64{}
	for id := range ids {
		held, total, ok := 0, 0.0, true
		for _, g := range gs {
			best, hit := 0.0, false
			for _, a := range g.alts {
				sc, all := 0.0, true
				for _, t := range a.need {
					x, in := w[t][id]
					if !in {
						all = false
						break
					}
					sc += idf(n, df[t]) * x
				}
				if !all {
					continue
				}
				for _, t := range a.bonus {
					sc += 0.5 * idf(n, df[t]) * w[t][id]
				}
				hit, best = true, max(best, sc)
			}
			if hit {
				held++
				total += best
			} else if g.phrase {
				ok = false
			}
		}
		if ok && held >= minShould(len(gs)) && held > 0 {
			out[id] = total * float64(held) / float64(len(gs))
		}
	}
	return out
}

// TestMatchAgreesWithBruteForce: random posting lists (a few long, most
// short, so the galloping seek and the merges meet every case) and random
// queries of synonyms, bonus words and phrases find the same articles
// with the same scores as the brute force, and best picks the same top.
func TestMatchAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		terms := make([]string, 8)
		lists := map[string]*termList{}
		df := map[string]int{}
		n := 5000
		for i := range terms {
			terms[i] = fmt.Sprint("t", i)
			density := []float64{0.6, 0.2, 0.02, 0.002}[rng.IntN(4)]
			l := &termList{}
			for id := int64(1); id <= int64(n); id++ {
				if rng.Float64() < density {
					l.ids = append(l.ids, id)
					l.w = append(l.w, 0.5+rng.Float64()*3)
				}
			}
			if rng.IntN(8) > 0 { // now and then a term no article holds
				lists[terms[i]] = l
			}
			df[terms[i]] = len(l.ids)
		}
		var gs []group
		for range 1 + rng.IntN(4) {
			var g group
			for range 1 + rng.IntN(3) {
				var a alt
				for range 1 + rng.IntN(3) {
					a.need = append(a.need, terms[rng.IntN(len(terms))])
				}
				a.need = dedupe(a.need)
				if rng.IntN(2) == 0 {
					a.bonus = []string{terms[rng.IntN(len(terms))]}
				}
				g.alts = append(g.alts, a)
			}
			g.phrase = rng.IntN(6) == 0
			gs = append(gs, g)
		}
		want := bruteMatch(gs, lists, df, n)
		got := match(gs, lists, df, n)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d matches, brute force %d", round, len(got), len(want))
		}
		for i, m := range got {
			if i > 0 && m.id <= got[i-1].id {
				t.Fatalf("round %d: matches out of order at %d", round, i)
			}
			if w, ok := want[m.id]; !ok || math.Abs(w-m.score) > 1e-9*max(1, w) {
				t.Fatalf("round %d: article %d scored %v, brute force %v (%v)", round, m.id, m.score, w, ok)
			}
		}
		k := 1 + rng.IntN(50)
		all := slices.Clone(got)
		slices.SortFunc(all, cmpMatched)
		top := best(slices.Clone(got), k)
		if len(top) != min(k, len(all)) || !slices.EqualFunc(top, all[:len(top)], func(a, b matched) bool { return a.id == b.id }) {
			t.Fatalf("round %d: best %d differs from a full sort", round, k)
		}
	}
}
