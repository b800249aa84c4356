package ivr

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tNewline
	tIndent
	tDedent
	tIdent  // answer, main_menu, on
	tVar    // $outlet (text holds the name without $)
	tString // "welcome.wav" (parts hold text and ${var} pieces)
	tWord   // starts with a digit: 5s, 09:00-17:30, 2026-02-18, 1-5, 8001
	tColon
	tComma
	tLParen
	tRParen
	tMinus
	tAssign // =
	tEq     // ==
	tNe     // !=
	tLt
	tLe
	tGt
	tGe
)

func (k tokKind) String() string {
	switch k {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tIndent:
		return "indentation"
	case tDedent:
		return "end of block"
	case tIdent:
		return "name"
	case tVar:
		return "variable"
	case tString:
		return "string"
	case tWord:
		return "number"
	case tColon:
		return `":"`
	case tComma:
		return `","`
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tMinus:
		return `"-"`
	case tAssign:
		return `"="`
	case tEq:
		return `"=="`
	case tNe:
		return `"!="`
	case tLt:
		return `"<"`
	case tLe:
		return `"<="`
	case tGt:
		return `">"`
	case tGe:
		return `">="`
	}
	return "token"
}

type token struct {
	kind  tokKind
	pos   Pos
	text  string    // identifier, variable name, word, or a string's plain text
	parts []StrPart // strings only
}

// describe names a token for an error message: the name itself for names and
// numbers, the kind otherwise.
func (t token) describe() string {
	switch t.kind {
	case tIdent, tWord:
		return `"` + t.text + `"`
	case tVar:
		return `"$` + t.text + `"`
	case tString:
		return "string"
	}
	return t.kind.String()
}
