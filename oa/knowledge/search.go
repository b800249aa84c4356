package knowledge

import (
	"context"
	"html"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// SearchOptions narrow and page a search.
type SearchOptions struct {
	BaseID int64 // 0: every base the viewer reads
	Limit  int   // 1-100 (10)
	Offset int
}

// Hit is one article found. Title and Snippet are HTML: the text escaped,
// the matched words in <mark>.
type Hit struct {
	ID        int64   `json:"id"`
	BaseID    int64   `json:"base_id"`
	Title     string  `json:"title"`
	Snippet   string  `json:"snippet"`
	Score     float64 `json:"score"`
	Heat      float64 `json:"heat"`
	UpdatedAt int64   `json:"updated_at"`
}

// SearchReply is a page of hits, with how the query was understood.
type SearchReply struct {
	Items []Hit `json:"items"`
	Total int   `json:"total"`
	// Groups are the query's word groups, each with the synonyms any of
	// which satisfies it.
	Groups [][]string `json:"groups"`
	// Capped: the query has phrases or excluded words, which are checked
	// in the text of the best matches only (8 000 at most); more matched
	// its words, and Total counts those checked that passed.
	Capped bool `json:"capped,omitempty"`
}

// group is one thing a query asks for: any of its alternatives satisfies it.
type group struct {
	alts   []alt
	phrase bool // every article must hold it, written as is
}

// alt is one way to satisfy a group: all of need (bigrams, letter words)
// present; bonus (segmenter words) lifts the score.
type alt struct {
	text  string
	need  []string
	bonus []string
}

// stopWords carry no meaning in a question ("怎么办", "如何").
func stopWord(w string) bool {
	switch w {
	case "的", "了", "是", "在", "和", "与", "吗", "呢", "吧", "啊", "怎么", "怎么办", "如何", "什么", "为什么", "请问", "哪里", "哪个", "怎样", "一下", "可以", "能", "要", "the", "a", "an", "of", "how", "to":
		return true
	}
	return false
}

// groups turns a parsed query into word groups: synonym terms are found
// first (longest match, so "彩票站点" is taken whole), the rest is cut
// into words by the segmenter (or into runs of Han and of letters while it
// loads); stop words and lone Han characters are dropped unless nothing
// else is left.
func (s *Service) groups(q Query, set synonymSet) []group {
	var out, weak []group
	addWord := func(w string) {
		w = strings.TrimSpace(w)
		if w == "" {
			return
		}
		g := s.makeGroup(w, set)
		if stopWord(w) || (utf8.RuneCountInString(w) == 1 && isCJK([]rune(w)[0])) {
			weak = append(weak, g)
			return
		}
		out = append(out, g)
	}
	cutRest := func(rest []rune) {
		if len(rest) == 0 {
			return
		}
		words := []string(nil)
		if s.seg != nil {
			words = s.seg.Cut(string(rest))
		}
		if words == nil {
			words = runs(string(rest))
		}
		for _, w := range words {
			addWord(w)
		}
	}
	for _, chunk := range q.Words {
		for _, piece := range strings.Fields(chunk) {
			rs := []rune(piece)
			var rest []rune
			for i := 0; i < len(rs); {
				if t, ok := set.longest(rs[i:]); ok {
					cutRest(rest)
					rest = rest[:0]
					out = append(out, s.makeGroup(t, set))
					i += utf8.RuneCountInString(t)
					continue
				}
				rest = append(rest, rs[i])
				i++
			}
			cutRest(rest)
		}
	}
	for _, p := range q.Phrases {
		g := s.makeGroup(p, nil)
		g.phrase = true
		out = append(out, g)
	}
	if len(out) == 0 {
		out = weak
	}
	// A group with nothing to match (punctuation only) asks for nothing.
	out = slices.DeleteFunc(out, func(g group) bool { return len(g.alts) == 0 })
	if len(out) > MaxQueryParts {
		out = out[:MaxQueryParts]
	}
	return out
}

func (s *Service) makeGroup(w string, set synonymSet) group {
	texts := []string{w}
	if syn, ok := set[w]; ok {
		texts = syn
	}
	g := group{}
	for _, t := range texts {
		a := alt{text: t, need: dedupe(baseTerms(t)), bonus: dedupe(wordTerms(s.seg, t))}
		if len(a.need) > 0 {
			g.alts = append(g.alts, a)
		}
	}
	return g
}

// runs splits text into runs of Han characters and runs of other letters
// and digits.
func runs(text string) []string {
	var out []string
	var cur []rune
	han := false
	for _, r := range text {
		h := isCJK(r)
		if len(cur) > 0 && h != han {
			out = append(out, string(cur))
			cur = cur[:0]
		}
		han = h
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

func dedupe(ts []string) []string {
	seen := map[string]bool{}
	out := ts[:0]
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// maxCandidates is how many matches, best first, are read back at once
// to check a query's phrases and excluded words in their text.
const maxCandidates = 1000

// idf is a term's inverse document frequency among n articles.
func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// minShould is how many of n groups an article must satisfy: all of one
// or two, two thirds of more (a long question rarely matches every word).
func minShould(n int) int {
	if n <= 2 {
		return n
	}
	return (2*n + 2) / 3
}

// maxRounds bounds those reads in one search (a phrase whose characters
// many articles hold, few as written).
const maxRounds = 8

// Search finds the live articles v reads that match q, best first. The
// score of an article is Σ over the groups it satisfies of its best
// alternative's Σ idf(t)·Σ_field weight·tf/(tf+1.2), times the share of
// groups satisfied, times 1 + 0.1·ln(1 + 知识热度).
func (s *Service) Search(ctx context.Context, tenant string, v Viewer, text string, o SearchOptions) (SearchReply, error) {
	return s.search(ctx, tenant, v, text, o, true)
}

func (s *Service) search(ctx context.Context, tenant string, v Viewer, text string, o SearchOptions, count bool) (SearchReply, error) {
	q, err := ParseQuery(text)
	if err != nil {
		return SearchReply{}, err
	}
	if o.Limit <= 0 || o.Limit > 100 {
		o.Limit = 10
	}
	set, err := s.synonymSet(ctx, tenant)
	if err != nil {
		return SearchReply{}, err
	}
	gs := s.groups(q, set)
	reply := SearchReply{Items: []Hit{}, Groups: [][]string{}}
	var all []string
	for _, g := range gs {
		var texts []string
		for _, a := range g.alts {
			texts = append(texts, a.text)
			all = append(all, a.need...)
			all = append(all, a.bonus...)
		}
		if len(texts) > 0 {
			reply.Groups = append(reply.Groups, texts)
		}
	}
	all = dedupe(all)
	if len(all) == 0 {
		return reply, nil
	}
	df, n, err := s.frequencies(ctx, all)
	if err != nil {
		return SearchReply{}, err
	}
	lists, err := s.postings(ctx, tenant, all)
	if err != nil {
		return SearchReply{}, err
	}
	matches := match(gs, lists, df, n)
	needText := len(q.Not) > 0
	for _, g := range gs {
		needText = needText || g.phrase
	}
	// Of the matches, those v may read now (the tenant's, in a base v
	// reads, between their dates), scored with their popularity.
	bases, err := s.readableBases(ctx, tenant, v, o.BaseID)
	if err != nil {
		return SearchReply{}, err
	}
	now := ms(s.now())
	hits := matches[:0]
	err = s.withRanks(ctx, tenant, func(ranks map[int64]*rankInfo) {
		for _, m := range matches {
			r, ok := ranks[m.id]
			if !ok || !bases[r.base] || !r.liveAt(now) {
				continue
			}
			hits = append(hits, matched{id: m.id, score: m.score * popularity(Heat(r.views, r.helpful, r.unhelpful)), r: r})
		}
	})
	if err != nil {
		return SearchReply{}, err
	}
	var texts map[int64][2]string
	if needText {
		// Phrases and excluded words are checked in the text, best
		// matches first, maxCandidates at a time, until the page is full.
		kept := make([]matched, 0, o.Offset+o.Limit)
		texts = map[int64][2]string{}
		checked := 0
		for round := 0; checked < len(hits) && round < maxRounds && (round == 0 || len(kept) < o.Offset+o.Limit); round++ {
			chunk := best(hits[checked:], maxCandidates)
			checked += len(chunk)
			ids := make([]int64, len(chunk))
			for i, m := range chunk {
				ids[i] = m.id
			}
			t, err := s.texts(ctx, ids)
			if err != nil {
				return SearchReply{}, err
			}
			maps.Copy(texts, t)
			for _, m := range chunk {
				if textHolds(texts[m.id], gs, q.Not) {
					kept = append(kept, m)
				}
			}
		}
		reply.Capped = checked < len(hits)
		hits = kept
	}
	reply.Total = len(hits)
	hits = best(hits, o.Offset+o.Limit)
	if o.Offset >= len(hits) {
		hits = nil
	} else {
		hits = hits[o.Offset:min(len(hits), o.Offset+o.Limit)]
	}
	page := make([]int64, len(hits))
	for i, h := range hits {
		page[i] = h.id
	}
	if !needText {
		if texts, err = s.texts(ctx, page); err != nil {
			return SearchReply{}, err
		}
	}
	var marks []string
	for _, g := range reply.Groups {
		marks = append(marks, g...)
	}
	for _, h := range hits {
		t := texts[h.id]
		reply.Items = append(reply.Items, Hit{ID: h.id, BaseID: h.r.base, Title: highlight(t[0], marks), Snippet: snippet(t[1], marks, 80),
			Score: math.Round(h.score*1000) / 1000, Heat: Heat(h.r.views, h.r.helpful, h.r.unhelpful), UpdatedAt: h.r.updated})
	}
	if count && o.Offset == 0 {
		s.remember(ctx, tenant, strings.Join(strings.Fields(normalise(text)), " "), reply.Total)
	}
	return reply, nil
}

// frequencies reads the terms' document frequencies and the number of
// indexed articles.
func (s *Service) frequencies(ctx context.Context, terms []string) (map[string]int, int, error) {
	df := map[string]int{}
	args := make([]any, 0, len(terms)+1)
	args = append(args, "")
	for _, t := range terms {
		args = append(args, t)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT term, df FROM kb_terms WHERE term IN (?`+strings.Repeat(",?", len(terms))+`)`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, 0, err
		}
		df[t] = n
	}
	return df, df[""], rows.Err()
}

// readableBases are the tenant's bases v reads (only base, if not 0).
func (s *Service) readableBases(ctx context.Context, tenant string, v Viewer, base int64) (map[int64]bool, error) {
	q := `SELECT id FROM kb_bases WHERE id IN (` + visibleBases + `)`
	args := visibleArgs(tenant, v)
	if base != 0 {
		q += ` AND id=?`
		args = append(args, base)
	}
	ids, err := s.articleIDs(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// textHolds reports whether an article's title and body hold every
// phrase group's text as written and none of the excluded words.
func textHolds(t [2]string, gs []group, not []string) bool {
	doc := normalise(t[0] + " " + t[1])
	for _, g := range gs {
		if g.phrase && len(g.alts) > 0 && !strings.Contains(doc, g.alts[0].text) {
			return false
		}
	}
	for _, w := range not {
		if strings.Contains(doc, w) {
			return false
		}
	}
	return true
}

// texts reads articles' titles and body text.
func (s *Service) texts(ctx context.Context, ids []int64) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, title, body_text FROM kb_articles WHERE id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var t [2]string
			if err := rows.Scan(&id, &t[0], &t[1]); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// remember counts a query for the suggestions; a failure costs only a
// suggestion, so it is logged, not returned.
func (s *Service) remember(ctx context.Context, tenant, query string, hits int) {
	if query == "" || len(query) > MaxQueryBytes {
		return
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_queries(tenant, query, count, hits, last_at) VALUES (?,?,1,?,?)
		ON CONFLICT(tenant, query) DO UPDATE SET count=count+1, hits=excluded.hits, last_at=excluded.last_at`, tenant, query, hits, ms(s.now()))
	if err != nil {
		s.log.WarnContext(ctx, "knowledge query not counted", "err", err)
	}
}

// spans are the rune ranges of text where any mark occurs (case and width
// folded), longest marks first, without overlap.
func spans(rs []rune, marks []string) [][2]int {
	folded := []rune(normalise(string(rs)))
	if len(folded) != len(rs) {
		return nil
	}
	ms := append([]string(nil), marks...)
	sort.Slice(ms, func(i, j int) bool { return len(ms[i]) > len(ms[j]) })
	taken := make([]bool, len(rs))
	var out [][2]int
	for _, m := range ms {
		mr := []rune(m)
		if len(mr) == 0 {
			continue
		}
	scan:
		for i := 0; i+len(mr) <= len(folded); i++ {
			for k := range mr {
				if folded[i+k] != mr[k] {
					continue scan
				}
			}
			for k := range mr {
				if taken[i+k] {
					continue scan
				}
			}
			for k := range mr {
				taken[i+k] = true
			}
			out = append(out, [2]int{i, i + len(mr)})
			i += len(mr) - 1
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func render(rs []rune, sp [][2]int, from, to int) string {
	var b strings.Builder
	at := from
	for _, s := range sp {
		if s[0] < from || s[1] > to {
			continue
		}
		b.WriteString(html.EscapeString(string(rs[at:s[0]])))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(string(rs[s[0]:s[1]])))
		b.WriteString("</mark>")
		at = s[1]
	}
	b.WriteString(html.EscapeString(string(rs[at:to])))
	return b.String()
}

// highlight escapes text and marks the marks in it.
func highlight(text string, marks []string) string {
	rs := []rune(text)
	return render(rs, spans(rs, marks), 0, len(rs))
}

// snippet is about width characters of text around its first mark.
func snippet(text string, marks []string, width int) string {
	rs := []rune(text)
	sp := spans(rs, marks)
	from := 0
	if len(sp) > 0 {
		from = max(0, sp[0][0]-width/4)
	}
	to := min(len(rs), from+width)
	out := render(rs, sp, from, to)
	if from > 0 {
		out = "…" + out
	}
	if to < len(rs) {
		out += "…"
	}
	return out
}

// Suggestion is a completion offered while an agent types.
type Suggestion struct {
	Text      string `json:"text"`
	Kind      string `json:"kind"`                 // article or query
	ArticleID int64  `json:"article_id,omitempty"` // of an article
}

// Suggest offers completions for what an agent has typed so far: titles
// of live articles v reads that contain it (most popular first), then
// earlier searches that began with it and found something, then the
// titles a search for it finds (typing "彩票站" offers "投注站…").
func (s *Service) Suggest(ctx context.Context, tenant string, v Viewer, prefix string, limit int) ([]Suggestion, error) {
	prefix = strings.Join(strings.Fields(normalise(prefix)), " ")
	out := []Suggestion{}
	if prefix == "" || len(prefix) > MaxQueryBytes || !utf8.ValidString(prefix) {
		return out, nil
	}
	if limit <= 0 || limit > 20 {
		limit = 8
	}
	seen := map[string]bool{}
	add := func(sg Suggestion) {
		if !seen[sg.Text] && len(out) < limit {
			seen[sg.Text] = true
			out = append(out, sg)
		}
	}
	now := ms(s.now())
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix)
	args := append([]any{tenant, now, now}, visibleArgs(tenant, v)...)
	args = append(args, esc, limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT a.id, a.title FROM kb_articles a WHERE a.tenant=? AND `+live+` AND a.base_id IN (`+visibleBases+`)
		AND a.title LIKE '%' || ? || '%' ESCAPE '\' ORDER BY MAX(0, a.views + 5*a.helpful - 3*a.unhelpful) DESC, a.id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sg Suggestion
		if err := rows.Scan(&sg.ArticleID, &sg.Text); err != nil {
			rows.Close()
			return nil, err
		}
		sg.Kind = "article"
		add(sg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.Q(ctx).QueryContext(ctx, `SELECT query FROM kb_queries WHERE tenant=? AND query >= ? AND query < ? AND hits > 0 ORDER BY count DESC LIMIT ?`,
		tenant, prefix, prefix+"\U0010FFFF", limit)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		add(Suggestion{Text: t, Kind: "query"})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) < limit {
		if r, err := s.searchTitles(ctx, tenant, v, prefix, limit); err == nil {
			for _, h := range r {
				add(h)
			}
		}
	}
	return out, nil
}

// searchTitles are the titles a search for text finds, without counting
// the search.
func (s *Service) searchTitles(ctx context.Context, tenant string, v Viewer, text string, limit int) ([]Suggestion, error) {
	r, err := s.search(ctx, tenant, v, text, SearchOptions{Limit: limit}, false)
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(r.Items))
	for _, h := range r.Items {
		out = append(out, Suggestion{Text: html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(h.Title)), Kind: "article", ArticleID: h.ID})
	}
	return out, nil
}
