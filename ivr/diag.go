package ivr

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// maxDiagsPerFile stops a badly broken file from burying the first, useful,
// messages under cascades.
const maxDiagsPerFile = 25

// Pos is a place in a flow file. Line and Col count from 1; Col counts
// characters (Unicode code points), not bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

// Position returns p; AST nodes embed Pos and so report where they start.
func (p Pos) Position() Pos { return p }

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Diagnostic is one problem found in a flow: an error keeps the flow set from
// loading, a warning does not.
type Diagnostic struct {
	Pos     Pos
	Msg     string
	Warning bool
}

// String renders "file:line:col: message", with "warning: " before the
// message of a warning.
func (d Diagnostic) String() string {
	if d.Warning {
		return d.Pos.String() + ": warning: " + d.Msg
	}
	return d.Pos.String() + ": " + d.Msg
}

// ErrorList is the error Load returns: every diagnostic of the attempt, errors
// and warnings, sorted by file and position. It wraps errs.ErrInvalid.
type ErrorList []Diagnostic

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

func (l ErrorList) Unwrap() error { return errs.ErrInvalid }

// diags collects diagnostics for one file. Lexer and parser problems are kept
// to one per line: the first message on a line is the one worth reading.
type diags struct {
	file     string
	list     []Diagnostic
	synLines map[int]bool
	full     bool
}

func newDiags(file string) *diags { return &diags{file: file, synLines: map[int]bool{}} }

// syntax records a lexer or parser error unless its line already has one.
func (d *diags) syntax(p Pos, format string, args ...any) {
	if d.synLines[p.Line] {
		return
	}
	d.synLines[p.Line] = true
	d.add(Diagnostic{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (d *diags) errorf(p Pos, format string, args ...any) {
	d.add(Diagnostic{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (d *diags) warnf(p Pos, format string, args ...any) {
	d.add(Diagnostic{Pos: p, Msg: fmt.Sprintf(format, args...), Warning: true})
}

func (d *diags) add(x Diagnostic) {
	if d.full {
		return
	}
	if d.errorCount() >= maxDiagsPerFile && !x.Warning {
		d.full = true
		d.list = append(d.list, Diagnostic{Pos: x.Pos, Msg: "too many errors; stopping here"})
		return
	}
	d.list = append(d.list, x)
}

func (d *diags) errorCount() int {
	n := 0
	for _, x := range d.list {
		if !x.Warning {
			n++
		}
	}
	return n
}

func (d *diags) hasErrors() bool { return d.errorCount() > 0 }

// sortDiags orders by file, line and column, keeping the order of messages
// found at the same place.
func sortDiags(l []Diagnostic) {
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

// suggest returns ` (did you mean "x"?)` when one candidate is within two
// edits of got, else "".
func suggest(got string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(got, c, bestD); d < bestD && d < len([]rune(got)) {
			best, bestD = c, d
		}
	}
	if best == "" || best == got {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is Levenshtein distance, giving up (returning limit) once it
// must be at least limit; names are short, so the quadratic cost is small.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
