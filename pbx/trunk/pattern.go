package trunk

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Pattern matches dialled numbers (normalised). Written as a plain prefix
// ("0", "13", "+") it matches every number starting with it; written with
// a leading underscore it is a dial pattern in the usual PBX notation,
// each element matching one character:
//
//	X  any digit      Z  1-9      N  2-9
//	[1-5] [+0] a set or range     .  one or more characters (last)
//	!  zero or more characters (last)    anything else: itself
//
// so "_1[3-9]XXXXXXXXX" is a mobile number and "_0." any fixed line.
type Pattern struct {
	text  string
	elems []patElem // nil for a plain prefix
	tail  byte      // 0, '.' or '!'
}

type patElem struct{ set [256 / 64]uint64 }

func (e *patElem) add(c byte)      { e.set[c/64] |= 1 << (c % 64) }
func (e *patElem) has(c byte) bool { return e.set[c/64]&(1<<(c%64)) != 0 }
func (e *patElem) addRange(a, b byte) { // inclusive
	for c := int(a); c <= int(b); c++ {
		e.add(byte(c))
	}
}

// ParsePattern compiles a pattern.
func ParsePattern(s string) (Pattern, error) {
	bad := func(format string, a ...any) (Pattern, error) {
		return Pattern{}, fmt.Errorf("pattern %q: %s: %w", s, fmt.Sprintf(format, a...), errs.ErrInvalid)
	}
	if s == "" || s == "_" {
		return bad("empty")
	}
	body, dial := strings.CutPrefix(s, "_")
	if !dial {
		for i := 0; i < len(s); i++ {
			if !isDialChar(s[i]) {
				return bad("prefix may hold digits, +, * and # only")
			}
		}
		return Pattern{text: s}, nil
	}
	p := Pattern{text: s, elems: []patElem{}}
	for i := 0; i < len(body); i++ {
		var e patElem
		switch c := body[i]; {
		case c == '.' || c == '!':
			if i != len(body)-1 {
				return bad("%c must come last", c)
			}
			p.tail = c
			continue
		case c == 'X' || c == 'x':
			e.addRange('0', '9')
		case c == 'Z' || c == 'z':
			e.addRange('1', '9')
		case c == 'N' || c == 'n':
			e.addRange('2', '9')
		case c == '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 2 {
				return bad("unclosed or empty [ ]")
			}
			set := body[i+1 : i+end]
			for j := 0; j < len(set); j++ {
				if j+2 < len(set) && set[j+1] == '-' {
					if !isDialChar(set[j]) || !isDialChar(set[j+2]) || set[j] > set[j+2] {
						return bad("bad range %q", set[j:j+3])
					}
					e.addRange(set[j], set[j+2])
					j += 2
					continue
				}
				if !isDialChar(set[j]) {
					return bad("bad character %q in [ ]", set[j])
				}
				e.add(set[j])
			}
			i += end
		case isDialChar(c):
			e.add(c)
		default:
			return bad("bad character %q", c)
		}
		p.elems = append(p.elems, e)
	}
	if len(p.elems) == 0 {
		return bad("matches nothing")
	}
	return p, nil
}

func isDialChar(c byte) bool { return (c >= '0' && c <= '9') || c == '+' || c == '*' || c == '#' }

// String is the pattern as written.
func (p Pattern) String() string { return p.text }

// Match reports whether num matches the pattern.
func (p Pattern) Match(num string) bool {
	if p.elems == nil {
		return strings.HasPrefix(num, p.text)
	}
	if len(num) < len(p.elems) {
		return false
	}
	for i := range p.elems {
		if !p.elems[i].has(num[i]) {
			return false
		}
	}
	switch rest := len(num) - len(p.elems); p.tail {
	case '.':
		return rest >= 1
	case '!':
		return true
	default:
		return rest == 0
	}
}

// literal is the fixed start of the pattern: every number it matches
// begins with it (the route index files the pattern under it).
func (p Pattern) literal() string {
	if p.elems == nil {
		return p.text
	}
	var b []byte
	for i := range p.elems {
		c, ok := p.elems[i].single()
		if !ok {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// single returns the one character e matches, if it matches exactly one.
func (e *patElem) single() (byte, bool) {
	var c byte
	n := 0
	for w, word := range e.set {
		for word != 0 {
			bit := bits.TrailingZeros64(word)
			c = byte(w*64 + bit)
			n++
			word &= word - 1
		}
	}
	return c, n == 1
}
