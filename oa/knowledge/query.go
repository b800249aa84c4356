package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yimen/yimen/oa"
)

// Query is a parsed search: free text (segmented, synonym-expanded),
// "quoted phrases" that must appear as written, and -words that must not.
type Query struct {
	Words   []string `json:"words,omitempty"`
	Phrases []string `json:"phrases,omitempty"`
	Not     []string `json:"not,omitempty"`
}

// Query limits: a search box's worth, and a bound on the work one query does.
const (
	MaxQueryBytes = 400
	MaxQueryParts = 16
)

// ParseQuery reads a search box's text. Quotes may be ASCII or Chinese
// (“…”, 「…」); an unclosed quote runs to the end; a "-" before a word or
// phrase excludes it. Full-width forms and case are folded.
func ParseQuery(s string) (Query, error) {
	if len(s) > MaxQueryBytes {
		return Query{}, oa.FieldErrors{"q": "at most 400 bytes"}
	}
	if !utf8.ValidString(s) {
		return Query{}, oa.FieldErrors{"q": "not UTF-8 text"}
	}
	s = normalise(s)
	var q Query
	rs := []rune(s)
	add := func(neg, phrase bool, text string) {
		text = strings.Join(strings.FieldsFunc(text, isSpace), " ")
		if text == "" || len(q.Words)+len(q.Phrases)+len(q.Not) >= MaxQueryParts {
			return
		}
		switch {
		case neg:
			q.Not = append(q.Not, text)
		case phrase:
			q.Phrases = append(q.Phrases, text)
		default:
			q.Words = append(q.Words, text)
		}
	}
	for i := 0; i < len(rs); {
		if isSpace(rs[i]) {
			i++
			continue
		}
		neg := false
		if rs[i] == '-' && i+1 < len(rs) && !isSpace(rs[i+1]) {
			neg = true
			i++
		}
		if end, ok := closing(rs[i]); ok {
			j := i + 1
			for j < len(rs) && rs[j] != end {
				j++
			}
			add(neg, true, string(rs[i+1:min(j, len(rs))]))
			i = j + 1
			continue
		}
		j := i
		for j < len(rs) && !isSpace(rs[j]) {
			if _, ok := closing(rs[j]); ok {
				break
			}
			j++
		}
		add(neg, false, strings.Trim(string(rs[i:j]), "-"))
		i = max(j, i+1)
	}
	if len(q.Words)+len(q.Phrases) == 0 {
		return Query{}, oa.FieldErrors{"q": "nothing to search for"}
	}
	return q, nil
}

// closing is the quote that ends one opened by r.
func closing(r rune) (rune, bool) {
	switch r {
	case '"':
		return '"', true
	case '“':
		return '”', true
	case '「':
		return '」', true
	}
	return 0, false
}

func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '，' || r == ',' || r == '。' || r == '；' || r == ';' || r == '、' || r == '？' || r == '?' || r == '！' || r == '!'
}
