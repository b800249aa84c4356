package knowledge

import (
	"strings"
	"sync"
	"unicode"

	"github.com/go-ego/gse"
)

// Segmenter splits Chinese text into words; *GSE implements it.
type Segmenter interface {
	Cut(text string) []string
}

// GSE segments with github.com/go-ego/gse and its simplified-Chinese
// dictionary. The dictionary takes seconds and a hundred megabytes to
// load, so it loads once, in the background, on first use; until it is
// in, Cut answers nil and the index and the queries fall back to
// bigrams, which match the same text (words only sharpen the ranking).
type GSE struct {
	once  sync.Once
	ready chan struct{}
	seg   gse.Segmenter
}

// NewGSE returns a segmenter whose dictionary loads on first use.
func NewGSE() *GSE { return &GSE{ready: make(chan struct{})} }

// Load starts loading the dictionary (if not yet) and returns a channel
// closed when it is in.
func (g *GSE) Load() <-chan struct{} {
	g.once.Do(func() {
		go func() {
			g.seg.SkipLog = true
			// An error leaves an empty dictionary: gse then cuts by its
			// HMM alone, still usable.
			_ = g.seg.LoadDictEmbed("zh_s")
			close(g.ready)
		}()
	})
	return g.ready
}

// Cut returns text's words (gse's precise mode with its HMM for words
// the dictionary lacks), or nil while the dictionary loads.
func (g *GSE) Cut(text string) []string {
	select {
	case <-g.Load():
		return g.seg.Cut(text, true)
	default:
		return nil
	}
}

// maxTermBytes bounds an indexed term: longer runs of letters are cut.
const maxTermBytes = 64

// isCJK reports whether r is a Han character (the text bigrams are cut from).
func isCJK(r rune) bool { return unicode.Is(unicode.Han, r) }

// normalise folds case and full-width forms so "ＰＯＳ" finds "pos".
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// baseTerms are the terms every text yields without a dictionary: its
// CJK bigrams (a lone Han character stands for itself) and its words of
// letters and digits.
func baseTerms(text string) []string {
	var out []string
	var han []rune
	var word strings.Builder
	flushHan := func() {
		switch {
		case len(han) == 1:
			out = append(out, string(han))
		case len(han) > 1:
			for i := 0; i+1 < len(han); i++ {
				out = append(out, string(han[i:i+2]))
			}
		}
		han = han[:0]
	}
	flushWord := func() {
		if word.Len() > 0 {
			w := word.String()
			if len(w) > maxTermBytes {
				w = w[:maxTermBytes]
			}
			out = append(out, w)
			word.Reset()
		}
	}
	for _, r := range normalise(text) {
		switch {
		case isCJK(r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word.WriteRune(r)
		default:
			flushHan()
			flushWord()
		}
	}
	flushHan()
	flushWord()
	return out
}

// wordTerms are the segmenter's words of text that bigrams do not already
// give: Han words of three characters or more ("投注站").
func wordTerms(seg Segmenter, text string) []string {
	if seg == nil {
		return nil
	}
	var out []string
	for _, w := range seg.Cut(normalise(text)) {
		w = strings.TrimSpace(w)
		n := 0
		han := true
		for _, r := range w {
			n++
			han = han && isCJK(r)
		}
		if han && n >= 3 && len(w) <= maxTermBytes {
			out = append(out, w)
		}
	}
	return out
}

// terms is what a text is indexed and matched by.
func terms(seg Segmenter, text string) []string {
	return append(baseTerms(text), wordTerms(seg, text)...)
}
