package ivr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFileSize bounds one flow file; real flows are a few kilobytes.
const maxFileSize = 1 << 20

// lexer turns a flow file into tokens. Indentation is significant: a deeper
// line opens a block (tIndent), a shallower one closes blocks (tDedent), as
// in Python. Blank and comment-only lines are invisible. Only spaces indent.
type lexer struct {
	file    string
	src     string
	i       int // byte offset
	line    int
	col     int // characters into the line, from 1
	toks    []token
	d       *diags
	indents []int
}

func lex(file, src string, d *diags) []token {
	lx := &lexer{file: file, src: src, line: 1, col: 1, d: d, indents: []int{0}}
	if len(src) > maxFileSize {
		d.syntax(lx.pos(), "file is larger than %d bytes", maxFileSize)
		return []token{{kind: tEOF, pos: lx.pos()}}
	}
	if strings.HasPrefix(src, "\uFEFF") { // a BOM is harmless
		lx.i = len("\uFEFF")
	}
	for lx.i < len(lx.src) {
		lx.line1()
	}
	for len(lx.indents) > 1 {
		lx.indents = lx.indents[:len(lx.indents)-1]
		lx.emit(tDedent, lx.pos(), "")
	}
	lx.emit(tEOF, lx.pos(), "")
	return lx.toks
}

func (lx *lexer) pos() Pos { return Pos{File: lx.file, Line: lx.line, Col: lx.col} }

func (lx *lexer) emit(k tokKind, p Pos, text string) {
	lx.toks = append(lx.toks, token{kind: k, pos: p, text: text})
}

// peekByte returns the byte n ahead of the cursor, or 0 past the end.
func (lx *lexer) peekByte(n int) byte {
	if lx.i+n < len(lx.src) {
		return lx.src[lx.i+n]
	}
	return 0
}

// advance moves over one character.
func (lx *lexer) advance() rune {
	r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
	lx.i += size
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	return r
}

// line1 lexes one physical line, indentation first.
func (lx *lexer) line1() {
	width, tab := 0, false
	start := lx.pos()
	for lx.i < len(lx.src) {
		switch lx.src[lx.i] {
		case ' ':
			width++
		case '\t':
			width += 8 - width%8
			tab = true
		default:
			goto indented
		}
		lx.advance()
	}
indented:
	if lx.i >= len(lx.src) || lx.atLineEnd() || lx.src[lx.i] == '#' {
		lx.skipToNextLine()
		return
	}
	if tab {
		lx.d.syntax(start, "tab in indentation; indent with spaces")
	}
	lx.indent(width)
	for lx.i < len(lx.src) && !lx.atLineEnd() {
		lx.token()
	}
	lx.emit(tNewline, lx.pos(), "")
	lx.skipToNextLine()
}

func (lx *lexer) atLineEnd() bool {
	c := lx.src[lx.i]
	return c == '\n' || c == '\r' && lx.peekByte(1) == '\n'
}

func (lx *lexer) skipToNextLine() {
	for lx.i < len(lx.src) {
		if lx.advance() == '\n' {
			return
		}
	}
}

// indent compares a line's indentation with the open blocks.
func (lx *lexer) indent(width int) {
	top := lx.indents[len(lx.indents)-1]
	p := lx.pos()
	switch {
	case width > top:
		lx.indents = append(lx.indents, width)
		lx.emit(tIndent, p, "")
	case width < top:
		for len(lx.indents) > 1 && width < lx.indents[len(lx.indents)-1] {
			lx.indents = lx.indents[:len(lx.indents)-1]
			lx.emit(tDedent, p, "")
		}
		if width != lx.indents[len(lx.indents)-1] {
			lx.d.syntax(p, "indentation does not match any enclosing block")
			lx.indents = append(lx.indents, width)
			lx.emit(tIndent, p, "")
		}
	}
}

// token lexes one token (or skips blanks and a comment).
func (lx *lexer) token() {
	p := lx.pos()
	c := lx.src[lx.i]
	switch {
	case c == ' ' || c == '\t' || c == '\r':
		lx.advance()
	case c == '#':
		for lx.i < len(lx.src) && !lx.atLineEnd() {
			lx.advance()
		}
	case isLetter(c):
		lx.emit(tIdent, p, lx.ident())
	case isDigitByte(c):
		lx.emit(tWord, p, lx.word())
	case c == '$':
		lx.advance()
		if lx.i >= len(lx.src) || !isLetter(lx.src[lx.i]) {
			lx.d.syntax(p, "%q must start a variable name such as $outlet", '$')
			return
		}
		lx.emit(tVar, p, lx.ident())
	case c == '"':
		lx.str(p)
	default:
		lx.punct(p, c)
	}
}

func isLetter(c byte) bool    { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool     { return isLetter(c) || isDigitByte(c) }

func (lx *lexer) ident() string {
	start := lx.i
	for lx.i < len(lx.src) && isAlnum(lx.src[lx.i]) {
		lx.advance()
	}
	return lx.src[start:lx.i]
}

// word lexes a token that starts with a digit. It keeps ":" and "-" followed
// by a digit, and ".." or "." followed by a digit, so that 09:00-17:30,
// 2026-02-01..2026-02-28, 1-5 and 1.5s each arrive as one token; the parser
// reads the word as whatever its place calls for and says what was expected.
func (lx *lexer) word() string {
	start := lx.i
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case isAlnum(c):
			lx.advance()
		case (c == ':' || c == '-' || c == '.') && isDigitByte(lx.peekByte(1)):
			lx.advance()
		case c == '.' && lx.peekByte(1) == '.' && isDigitByte(lx.peekByte(2)):
			lx.advance()
			lx.advance()
		default:
			return lx.src[start:lx.i]
		}
	}
	return lx.src[start:lx.i]
}

// str lexes a double-quoted string with \" \\ \n \t \$ escapes and ${name}
// interpolation.
func (lx *lexer) str(p Pos) {
	lx.advance()
	var parts []StrPart
	var lit strings.Builder
	for {
		if lx.i >= len(lx.src) || lx.atLineEnd() {
			lx.d.syntax(p, "string is not closed before the end of the line")
			return
		}
		ep := lx.pos()
		c := lx.src[lx.i]
		switch {
		case c == '"':
			lx.advance()
			if lit.Len() > 0 || len(parts) == 0 {
				parts = append(parts, StrPart{Lit: lit.String()})
			}
			lx.toks = append(lx.toks, token{kind: tString, pos: p, text: plainText(parts), parts: parts})
			return
		case c == '\\':
			lx.advance()
			if lx.i >= len(lx.src) || lx.atLineEnd() {
				continue
			}
			switch e := lx.advance(); e {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case '\\', '"', '$':
				lit.WriteRune(e)
			default:
				lx.d.syntax(ep, "unknown escape \\%c in string (use \\\" \\\\ \\n \\t or \\$)", e)
			}
		case c == '$' && lx.peekByte(1) == '{':
			lx.advance()
			lx.advance()
			name := ""
			if lx.i < len(lx.src) && isLetter(lx.src[lx.i]) {
				name = lx.ident()
			}
			if name == "" || lx.i >= len(lx.src) || lx.src[lx.i] != '}' {
				lx.d.syntax(ep, "bad ${...} in string: want ${name}")
				continue
			}
			lx.advance()
			if lit.Len() > 0 {
				parts = append(parts, StrPart{Lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, StrPart{Var: name})
		default:
			r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
			if r == utf8.RuneError && size == 1 {
				lx.d.syntax(ep, "invalid UTF-8 in string")
			}
			lx.advance()
			lit.WriteRune(r)
		}
	}
}

// plainText is a string's text with ${name} written back, for messages and
// for places that want a plain name.
func plainText(parts []StrPart) string {
	if len(parts) == 1 && parts[0].Var == "" {
		return parts[0].Lit
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Var != "" {
			b.WriteString("${" + p.Var + "}")
		} else {
			b.WriteString(p.Lit)
		}
	}
	return b.String()
}

func (lx *lexer) punct(p Pos, c byte) {
	two := func(next byte, one, both tokKind) {
		lx.advance()
		if lx.i < len(lx.src) && lx.src[lx.i] == next {
			lx.advance()
			lx.emit(both, p, "")
			return
		}
		lx.emit(one, p, "")
	}
	switch c {
	case ':':
		lx.advance()
		lx.emit(tColon, p, "")
	case ',':
		lx.advance()
		lx.emit(tComma, p, "")
	case '(':
		lx.advance()
		lx.emit(tLParen, p, "")
	case ')':
		lx.advance()
		lx.emit(tRParen, p, "")
	case '-':
		lx.advance()
		lx.emit(tMinus, p, "")
	case '=':
		two('=', tAssign, tEq)
	case '<':
		two('=', tLt, tLe)
	case '>':
		two('=', tGt, tGe)
	case '!':
		lx.advance()
		if lx.i < len(lx.src) && lx.src[lx.i] == '=' {
			lx.advance()
			lx.emit(tNe, p, "")
			return
		}
		lx.d.syntax(p, `unexpected "!"; write "!=" or "not"`)
	default:
		r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
		lx.advance()
		switch {
		case r == utf8.RuneError && size == 1:
			lx.d.syntax(p, "invalid UTF-8")
		case r == '“' || r == '”' || r == '「' || r == '」':
			lx.d.syntax(p, "unexpected %q; strings use straight double quotes \"", r)
		case r == '：':
			lx.d.syntax(p, "unexpected full-width colon %q; use \":\"", r)
		case unicode.IsLetter(r):
			lx.d.syntax(p, "unexpected %q; put text in double quotes", r)
		default:
			lx.d.syntax(p, "unexpected character %q", r)
		}
	}
}
