package ivr

import (
	"strings"
)

// maxNesting bounds block and condition nesting so that hostile input cannot
// exhaust the stack; real flows nest three or four deep.
const maxNesting = 40

// verbList names the statements, in the order the docs present them.
func verbList() []string {
	return []string{"answer", "play", "say", "menu", "collect", "set", "if", "when", "http",
		"queue", "transfer", "record", "survey", "goto", "sub", "return", "hangup"}
}

// reservedStepName says whether s cannot label a step: "flow" would make
// "goto flow x" ambiguous, and "else" would read as part of an if.
func reservedStepName(s string) bool { return s == "flow" || s == "else" }

// bailout unwinds the parser to the nearest statement boundary after an
// error has been recorded; parsing resumes on the next line.
type bailout struct{}

type parser struct {
	file  string
	toks  []token
	p     int
	d     *diags
	depth int
}

// Parse parses one flow file into a Flow named name. It reports syntax
// errors only; Load also runs the checker. The error is an ErrorList.
func Parse(file, name, src string) (*Flow, error) {
	d := newDiags(file)
	f := parseFlow(file, name, src, d)
	if d.hasErrors() {
		sortDiags(d.list)
		return nil, ErrorList(d.list)
	}
	return f, nil
}

func parseFlow(file, name, src string, d *diags) *Flow {
	p := &parser{file: file, toks: lex(file, src, d), d: d}
	f := &Flow{Name: name, File: file, index: map[string]*Step{}}
	for p.cur().kind != tEOF {
		switch t := p.cur(); t.kind {
		case tIdent:
			if st := p.step(); st != nil {
				f.Steps = append(f.Steps, st)
				if _, dup := f.index[st.Name]; !dup {
					f.index[st.Name] = st
				}
			}
		case tIndent:
			p.d.syntax(t.pos, "unexpected indentation: a step name starts at the beginning of its line")
			p.skipBlock()
		case tDedent, tNewline:
			p.next()
		default:
			p.d.syntax(t.pos, "expected a step name such as \"main:\", found %s", t.describe())
			p.skipLine()
		}
	}
	if len(f.Steps) == 0 && !d.hasErrors() {
		d.syntax(Pos{File: file, Line: 1, Col: 1}, "flow has no steps; start with a step such as \"main:\"")
	}
	return f
}

func (p *parser) cur() token { return p.toks[p.p] }

func (p *parser) next() token {
	t := p.toks[p.p]
	if t.kind != tEOF {
		p.p++
	}
	return t
}

func (p *parser) isIdent(word string) bool {
	t := p.cur()
	return t.kind == tIdent && t.text == word
}

// fail records a syntax error and abandons the current statement.
func (p *parser) fail(pos Pos, format string, args ...any) {
	p.d.syntax(pos, format, args...)
	panic(bailout{})
}

func (p *parser) expect(k tokKind, context string) token {
	t := p.cur()
	if t.kind != k {
		p.fail(t.pos, "expected %s %s, found %s", k, context, t.describe())
	}
	return p.next()
}

// safely runs fn and, if it bails out, skips the rest of the line and any
// block that hangs off it. It reports whether fn completed.
func (p *parser) safely(fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			p.skipLine()
			ok = false
		}
	}()
	fn()
	return true
}

// skipLine moves past the current line and the block indented under it, or
// stops at the end of the enclosing block.
func (p *parser) skipLine() {
	for {
		switch p.cur().kind {
		case tEOF, tDedent:
			return
		case tIndent:
			p.skipBlock()
			return
		case tNewline:
			p.next()
			if p.cur().kind == tIndent {
				p.skipBlock()
			}
			return
		}
		p.next()
	}
}

// skipBlock skips an indented block including its closing dedent.
func (p *parser) skipBlock() {
	depth := 0
	for {
		switch p.next().kind {
		case tEOF:
			return
		case tIndent:
			depth++
		case tDedent:
			depth--
			if depth <= 0 {
				return
			}
		}
	}
}

// step parses "name:" and the block under it.
func (p *parser) step() *Step {
	var st *Step
	p.safely(func() {
		t := p.next()
		if reservedStepName(t.text) {
			p.fail(t.pos, "%q cannot name a step", t.text)
		}
		if p.cur().kind != tColon {
			if contains(verbList(), t.text) {
				p.fail(t.pos, "statement %q outside a step; start the flow with a step such as \"main:\" and indent the statements under it", t.text)
			}
			p.fail(p.cur().pos, "expected \":\" after step name %q, found %s", t.text, p.cur().describe())
		}
		p.next()
		if p.cur().kind != tNewline {
			p.fail(p.cur().pos, "put the statements of step %q on the lines below it, indented", t.text)
		}
		p.next()
		st = &Step{Pos: t.pos, Name: t.text}
		st.Body = p.block("step \"" + t.text + "\"")
	})
	return st
}

// block parses an indented block of statements. A missing block is reported
// without bailing out: the line that should have been indented is parsed as
// the next statement at the outer level.
func (p *parser) block(owner string) []Stmt {
	if p.cur().kind != tIndent {
		p.d.syntax(p.cur().pos, "expected an indented block under %s", owner)
		return nil
	}
	p.next()
	var out []Stmt
	for {
		switch p.cur().kind {
		case tDedent:
			p.next()
			return out
		case tEOF:
			return out
		}
		var s Stmt
		if p.safely(func() { s = p.stmt() }) && s != nil {
			out = append(out, s)
		}
	}
}

// body parses what follows the ":" of a branch: one statement on the same
// line, or an indented block on the lines below.
func (p *parser) body(owner string) []Stmt {
	if p.cur().kind == tNewline {
		p.next()
		return p.block(owner)
	}
	return []Stmt{p.stmt()}
}

// endLine expects the end of a simple statement's line.
func (p *parser) endLine(verb string) {
	t := p.cur()
	if t.kind == tNewline {
		p.next()
		return
	}
	if t.kind == tColon {
		p.fail(t.pos, "%s takes no block here; remove the \":\"", verb)
	}
	p.fail(t.pos, "unexpected %s after %s", t.describe(), verb)
}

// stmt parses one statement with its line ending and any block under it.
func (p *parser) stmt() Stmt {
	p.depth++
	defer func() { p.depth-- }()
	t := p.cur()
	if p.depth > maxNesting {
		p.fail(t.pos, "statements nested too deeply")
	}
	switch t.kind {
	case tIdent:
	case tIndent:
		p.fail(t.pos, "unexpected indentation; indent a block only under a line that ends in \":\"")
	default:
		p.fail(t.pos, "expected a statement, found %s", t.describe())
	}
	switch t.text {
	case "answer":
		p.next()
		p.endLine("answer")
		return &Answer{Pos: t.pos}
	case "hangup":
		p.next()
		p.endLine("hangup")
		return &Hangup{Pos: t.pos}
	case "return":
		p.next()
		p.endLine("return")
		return &Return{Pos: t.pos}
	case "play":
		p.next()
		s := &Play{Pos: t.pos, Prompt: p.prompt("play")}
		p.endLine("play")
		return s
	case "say":
		return p.say()
	case "set":
		return p.set()
	case "goto", "sub":
		p.next()
		tg := p.target(t.text)
		p.endLine(t.text)
		if t.text == "goto" {
			return &Goto{Pos: t.pos, Target: tg}
		}
		return &Sub{Pos: t.pos, Target: tg}
	case "if":
		return p.ifStmt()
	case "when":
		return p.when()
	case "menu":
		return p.menu()
	case "collect":
		return p.collect()
	case "http":
		return p.http()
	case "queue":
		return p.queue()
	case "transfer":
		return p.transfer()
	case "record":
		return p.record()
	case "survey":
		return p.survey()
	case "else":
		p.fail(t.pos, "else without a matching if just above it")
	}
	if p.toks[p.p+1].kind == tColon && p.depth == 1 {
		p.fail(t.pos, "step %q must start at the beginning of its line", t.text)
	}
	p.fail(t.pos, "unknown statement %q%s", t.text, suggest(t.text, verbList()))
	return nil
}

func (p *parser) say() Stmt {
	t := p.next()
	how := p.cur()
	s := &Say{Pos: t.pos}
	switch {
	case p.isIdent("digits"):
		s.As = SayDigits
	case p.isIdent("number"):
		s.As = SayNumber
	default:
		p.fail(how.pos, "say needs digits or number, found %s", how.describe())
	}
	p.next()
	s.Value = p.value("say " + how.text)
	if lit, ok := staticValue(s.Value); ok && s.As == SayNumber && !allDigits(lit) {
		p.d.errorf(s.Value.Position(), "say number needs a whole number, found %q", lit)
	}
	p.endLine("say")
	return s
}

func (p *parser) set() Stmt {
	t := p.next()
	v := p.cur()
	if v.kind != tVar {
		p.fail(v.pos, "set needs a variable such as $choice, found %s", v.describe())
	}
	p.next()
	if p.cur().kind == tEq {
		p.fail(p.cur().pos, "use \"=\" to assign; \"==\" compares")
	}
	p.expect(tAssign, "after set $"+v.text)
	s := &SetVar{Pos: t.pos, Var: v.text, Value: p.value("set")}
	p.endLine("set")
	return s
}

// target parses "name" or "flow name".
func (p *parser) target(verb string) Target {
	t := p.cur()
	if t.kind != tIdent {
		p.fail(t.pos, "%s needs a step name, found %s", verb, t.describe())
	}
	p.next()
	if t.text == "flow" {
		n := p.cur()
		if n.kind != tIdent {
			p.fail(n.pos, "%s flow needs a flow name, found %s", verb, n.describe())
		}
		p.next()
		return Target{Pos: n.pos, Flow: n.text}
	}
	return Target{Pos: t.pos, Step: t.text}
}

func (p *parser) ifStmt() Stmt {
	t := p.next()
	s := &If{Pos: t.pos, Cond: p.cond()}
	p.expect(tColon, "after the condition of if")
	s.Then = p.body("if")
	if p.isIdent("else") {
		p.next()
		if p.isIdent("if") {
			p.fail(p.cur().pos, "write \"else:\" and put the next if under it, or use when for several cases")
		}
		p.expect(tColon, "after else")
		s.Else = p.body("else")
	}
	return s
}

func (p *parser) when() Stmt {
	t := p.next()
	p.expect(tColon, "after when")
	p.expect(tNewline, "after \"when:\"; list the cases on the lines below")
	s := &When{Pos: t.pos}
	if p.cur().kind != tIndent {
		p.d.syntax(t.pos, "expected an indented list of cases under when")
		return s
	}
	p.next()
	hasElse := false
	for p.cur().kind != tDedent && p.cur().kind != tEOF {
		p.safely(func() {
			c := &Case{Pos: p.cur().pos}
			if hasElse {
				p.fail(c.Pos, "else must be the last case of when")
			}
			if p.isIdent("else") {
				p.next()
				hasElse = true
			} else {
				c.Cond = p.cond()
			}
			p.expect(tColon, "after the case's condition")
			c.Body = p.body("the case")
			s.Cases = append(s.Cases, c)
		})
	}
	p.next()
	if len(s.Cases) == 0 {
		p.d.syntax(t.pos, "when has no cases")
	}
	return s
}

// prompt parses `"file.wav"` or `tts "text" [voice "name"]`.
func (p *parser) prompt(verb string) Prompt {
	t := p.cur()
	switch {
	case t.kind == tString:
		p.next()
		pr := Prompt{Pos: t.pos, File: t.text}
		p.checkPromptFile(t)
		return pr
	case p.isIdent("tts"):
		p.next()
		txt := p.cur()
		if txt.kind != tString {
			p.fail(txt.pos, "tts needs the text in double quotes, found %s", txt.describe())
		}
		p.next()
		pr := Prompt{Pos: t.pos, TTS: &Str{Pos: txt.pos, Parts: txt.parts}}
		if strings.TrimSpace(txt.text) == "" {
			p.d.syntax(txt.pos, "tts text is empty")
		}
		if p.isIdent("voice") {
			p.next()
			v := p.cur()
			if v.kind != tString && v.kind != tIdent {
				p.fail(v.pos, "voice needs a name, found %s", v.describe())
			}
			p.next()
			pr.Voice = v.text
		}
		return pr
	}
	p.fail(t.pos, "%s needs a prompt: a file such as \"welcome.wav\" or tts \"text\", found %s", verb, t.describe())
	return Prompt{}
}

// checkPromptFile rejects names that cannot be a prompt file before anyone
// looks for it.
func (p *parser) checkPromptFile(t token) {
	name := t.text
	switch {
	case len(t.parts) != 1 || t.parts[0].Var != "":
		p.d.syntax(t.pos, "prompt file names cannot contain ${...}; use if to choose between files, or tts")
	case name == "":
		p.d.syntax(t.pos, "prompt file name is empty")
	case !strings.HasSuffix(strings.ToLower(name), ".wav"):
		p.d.syntax(t.pos, "prompt %q: only 8 kHz mono WAV files can be played; convert it (sox in.mp3 -r 8000 -c 1 -b 16 out.wav) or use tts", name)
	case !validPromptPath(name):
		p.d.syntax(t.pos, "prompt %q: use a relative path inside the prompt directory, with / and no ..", name)
	}
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
