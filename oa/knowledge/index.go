package knowledge

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Indexed fields, and their weight in the ranking: a title match counts
// three times a body match, a tag twice.
const (
	fieldTitle = 0
	fieldBody  = 1
	fieldTags  = 2
)

func fieldWeight(field int) float64 {
	switch field {
	case fieldTitle:
		return 3
	case fieldTags:
		return 2
	}
	return 1
}

// index brings an article's postings up to date with its published text.
func (s *Service) index(ctx context.Context, id int64) error {
	return s.indexArticles(ctx, []int64{id})
}

// unindex takes an article out of the index (called once it is no longer
// published, so indexArticles finds nothing to index).
func (s *Service) unindex(ctx context.Context, id int64) error {
	return s.indexArticles(ctx, []int64{id})
}

// indexBatch bounds the articles indexArticles reads and segments at once.
const indexBatch = 500

// blockKey names a stored block.
type blockKey struct {
	tenant, term string
	block        int64
}

// preparer is what *sql.Tx and *sql.DB offer for statements run many times.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// indexArticles replaces the postings of the articles ids with those of
// their published text (none for an article not published), in one
// transaction: every article's old and new postings are gathered in
// memory, then each block they touch is read, merged and written once,
// and each term's document frequency changed once. One article (a
// publish) and a whole base (a rebuild, the generator of the scale test)
// go the same way; a batch of articles whose ids share blocks costs about
// one write per term and block.
func (s *Service) indexArticles(ctx context.Context, ids []int64) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		s.refreshRanks(ctx, ids...)
		q := s.db.Q(ctx)
		adds := map[blockKey][]posting{}
		drops := map[blockKey]map[int64]bool{}
		dfDelta := map[string]int{}
		type indexed struct {
			tenant     string
			lens       [2]int
			terms      string
			id         int64
			wasIndexed bool
		}
		var rows []indexed
		fresh := map[int64]bool{}
		for chunk := range slices.Chunk(ids, indexBatch) {
			old, err := s.indexedTerms(ctx, chunk)
			if err != nil {
				return err
			}
			for id, o := range old {
				for _, t := range o.terms {
					k := blockKey{o.tenant, t, blockOf(id)}
					if drops[k] == nil {
						drops[k] = map[int64]bool{}
					}
					drops[k][id] = true
					dfDelta[t]--
				}
				dfDelta[""]--
			}
			texts, err := s.publishedTexts(ctx, chunk)
			if err != nil {
				return err
			}
			cut := s.cutAll(texts)
			for i, a := range texts {
				tf, lens := cut[i].tf, cut[i].lens
				names := make([]string, 0, len(tf))
				for t, c := range tf {
					names = append(names, t)
					k := blockKey{a.tenant, t, blockOf(a.id)}
					adds[k] = append(adds[k], posting{id: a.id, tf: c})
					dfDelta[t]++
				}
				dfDelta[""]++
				slices.Sort(names)
				fresh[a.id] = true
				rows = append(rows, indexed{tenant: a.tenant, lens: [2]int{lens[fieldTitle], lens[fieldBody]}, terms: strings.Join(names, " "), id: a.id})
			}
			for id := range old {
				if !fresh[id] {
					rows = append(rows, indexed{id: id, wasIndexed: true})
				}
			}
		}
		if err := s.writeBlocks(ctx, adds, drops); err != nil {
			return err
		}
		if err := s.countTerms(ctx, dfDelta); err != nil {
			return err
		}
		pq, ok := q.(preparer)
		if !ok {
			return fmt.Errorf("knowledge: index: the database cannot prepare statements")
		}
		del, err := pq.PrepareContext(ctx, `DELETE FROM kb_indexed WHERE article_id=?`)
		if err != nil {
			return err
		}
		defer del.Close()
		ins, err := pq.PrepareContext(ctx, `INSERT INTO kb_indexed(article_id, tenant, title_len, body_len, terms) VALUES (?,?,?,?,?)
			ON CONFLICT(article_id) DO UPDATE SET tenant=excluded.tenant, title_len=excluded.title_len, body_len=excluded.body_len, terms=excluded.terms`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range rows {
			if r.wasIndexed {
				if _, err := del.ExecContext(ctx, r.id); err != nil {
					return err
				}
				continue
			}
			if _, err := ins.ExecContext(ctx, r.id, r.tenant, r.lens[0], r.lens[1], r.terms); err != nil {
				return err
			}
		}
		return nil
	})
}

// articleTerms are an article's terms with their count per field, and
// its fields' lengths in terms.
type articleTerms struct {
	tf   map[string][3]uint32
	lens [3]int
}

// cutAll segments the texts, on every CPU when there are many (a
// rebuild): segmenting is most of the cost of indexing, and gse's Cut
// may run on several goroutines at once.
func (s *Service) cutAll(texts []publishedText) []articleTerms {
	out := make([]articleTerms, len(texts))
	cut := func(i int) {
		a := texts[i]
		at := articleTerms{tf: map[string][3]uint32{}}
		for field, text := range [3]string{fieldTitle: a.title, fieldBody: a.body, fieldTags: strings.Join(a.tags, " ")} {
			ts := terms(s.seg, text)
			at.lens[field] = len(ts)
			for _, t := range ts {
				c := at.tf[t]
				c[field]++
				at.tf[t] = c
			}
		}
		out[i] = at
	}
	workers := min(runtime.GOMAXPROCS(0), len(texts)/32)
	if workers < 2 {
		for i := range texts {
			cut(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(texts); i = int(next.Add(1) - 1) {
				cut(i)
			}
		})
	}
	wg.Wait()
	return out
}

// oldIndex is what an article was indexed by.
type oldIndex struct {
	tenant string
	terms  []string
}

// indexedTerms reads the terms the articles ids are indexed by now.
func (s *Service) indexedTerms(ctx context.Context, ids []int64) (map[int64]oldIndex, error) {
	out := map[int64]oldIndex{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT article_id, tenant, terms FROM kb_indexed WHERE article_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var o oldIndex
		var ts string
		if err := rows.Scan(&id, &o.tenant, &ts); err != nil {
			return nil, err
		}
		o.terms = strings.Fields(ts)
		out[id] = o
	}
	return out, rows.Err()
}

// publishedText is what an article is indexed by.
type publishedText struct {
	id          int64
	tenant      string
	title, body string
	tags        []string
}

// publishedTexts reads the published text of those of ids that are
// published.
func (s *Service) publishedTexts(ctx context.Context, ids []int64) ([]publishedText, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, tenant, title, body_text, tags FROM kb_articles WHERE published_version>0 AND id IN (?`+
		strings.Repeat(",?", len(ids)-1)+`) ORDER BY id`, int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []publishedText
	for rows.Next() {
		var a publishedText
		var tagsJSON string
		if err := rows.Scan(&a.id, &a.tenant, &a.title, &a.body, &tagsJSON); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(tagsJSON), &a.tags)
		out = append(out, a)
	}
	return out, rows.Err()
}

// writeBlocks merges each touched block's stored postings with the
// changes, in key order (neighbouring rows of the B-tree one after the
// other), and writes it back (or deletes it once empty).
func (s *Service) writeBlocks(ctx context.Context, adds map[blockKey][]posting, drops map[blockKey]map[int64]bool) error {
	keys := make([]blockKey, 0, len(adds)+len(drops))
	for k := range adds {
		keys = append(keys, k)
	}
	for k := range drops {
		if _, ok := adds[k]; !ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b blockKey) int {
		if c := strings.Compare(a.tenant, b.tenant); c != 0 {
			return c
		}
		if c := strings.Compare(a.term, b.term); c != 0 {
			return c
		}
		return int(a.block - b.block)
	})
	pq, ok := s.db.Q(ctx).(preparer)
	if !ok {
		return fmt.Errorf("knowledge: index: the database cannot prepare statements")
	}
	get, err := pq.PrepareContext(ctx, `SELECT postings FROM kb_blocks WHERE tenant=? AND term=? AND block=?`)
	if err != nil {
		return err
	}
	defer get.Close()
	put, err := pq.PrepareContext(ctx, `INSERT INTO kb_blocks(tenant, term, block, postings) VALUES (?,?,?,?)
		ON CONFLICT(tenant, term, block) DO UPDATE SET postings=excluded.postings`)
	if err != nil {
		return err
	}
	defer put.Close()
	del, err := pq.PrepareContext(ctx, `DELETE FROM kb_blocks WHERE tenant=? AND term=? AND block=?`)
	if err != nil {
		return err
	}
	defer del.Close()
	var old []posting
	for _, k := range keys {
		var stored []byte
		err := get.QueryRowContext(ctx, k.tenant, k.term, k.block).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		old = old[:0]
		if len(stored) > 0 {
			if old, err = decodeBlock(k.block, stored, old); err != nil {
				// A damaged block is rebuilt from the articles' texts by
				// Reindex; the changes at hand still go in.
				s.log.WarnContext(ctx, "knowledge index block damaged, rewritten", "term", k.term, "block", k.block, "err", err)
			}
		}
		add := adds[k]
		slices.SortFunc(add, func(a, b posting) int { return int(a.id - b.id) })
		merged := mergeBlock(old, drops[k], add)
		if len(merged) == 0 {
			if len(stored) > 0 {
				if _, err := del.ExecContext(ctx, k.tenant, k.term, k.block); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := put.ExecContext(ctx, k.tenant, k.term, k.block, encodeBlock(k.block, merged)); err != nil {
			return err
		}
	}
	return nil
}

// countTerms adds each term's delta to its document frequency (the empty
// term counts the indexed articles), in term order.
func (s *Service) countTerms(ctx context.Context, delta map[string]int) error {
	terms := make([]string, 0, len(delta))
	for t, d := range delta {
		if d != 0 {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return nil
	}
	slices.Sort(terms)
	pq, ok := s.db.Q(ctx).(preparer)
	if !ok {
		return fmt.Errorf("knowledge: index: the database cannot prepare statements")
	}
	up, err := pq.PrepareContext(ctx, `INSERT INTO kb_terms(term, df) VALUES (?,?) ON CONFLICT(term) DO UPDATE SET df=df+excluded.df`)
	if err != nil {
		return err
	}
	defer up.Close()
	// A term no article holds any more goes (only those that lost one are
	// looked at: kb_terms has no index on df).
	gone, err := pq.PrepareContext(ctx, `DELETE FROM kb_terms WHERE term=? AND df<=0 AND term<>''`)
	if err != nil {
		return err
	}
	defer gone.Close()
	for _, t := range terms {
		if _, err := up.ExecContext(ctx, t, delta[t]); err != nil {
			return err
		}
		if delta[t] < 0 {
			if _, err := gone.ExecContext(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// Reindex rebuilds a tenant's index (after the segmenter's dictionary
// came in, or an upgrade that changes how text is cut), a block of
// article ids per transaction.
func (s *Service) Reindex(ctx context.Context, tenant string) (int, error) {
	ids, err := s.articleIDs(ctx, `SELECT id FROM kb_articles WHERE tenant=? AND published_version>0 UNION SELECT article_id FROM kb_indexed WHERE tenant=? ORDER BY 1`, tenant, tenant)
	if err != nil {
		return 0, err
	}
	if err := s.indexInBlocks(ctx, ids); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// indexInBlocks indexes ids (sorted) a block at a time, each block in its
// own transaction, so a rebuild of a large base never holds the database
// for long.
func (s *Service) indexInBlocks(ctx context.Context, ids []int64) error {
	for len(ids) > 0 {
		n := 1
		for n < len(ids) && blockOf(ids[n]) == blockOf(ids[0]) {
			n++
		}
		if err := s.indexArticles(ctx, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (s *Service) articleIDs(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// catchUp indexes the published articles the index lacks: after the
// upgrade to posting blocks (migration 0002) every one of them. It waits
// for the segmenter's dictionary first, if it loads one, so the rebuilt
// index holds the words and not only the bigrams.
func (s *Service) catchUp(ctx context.Context) error {
	ids, err := s.articleIDs(ctx, `SELECT a.id FROM kb_articles a WHERE a.published_version>0
		AND NOT EXISTS (SELECT 1 FROM kb_indexed i WHERE i.article_id=a.id) ORDER BY a.id`)
	if err != nil || len(ids) == 0 {
		return err
	}
	if l, ok := s.seg.(interface{ Load() <-chan struct{} }); ok {
		select {
		case <-l.Load():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	began := time.Now()
	if err := s.indexInBlocks(ctx, ids); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "knowledge index rebuilt", "articles", len(ids), "took", time.Since(began))
	return nil
}
