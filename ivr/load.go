package ivr

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/yimen/yimen/internal/calendar"
)

// Loader loads and checks a set of flows. The zero Loader checks syntax and
// structure but not prompt files, and knows no calendars (so any calendar a
// flow names is an error).
type Loader struct {
	// Prompts is the prompt directory; every prompt file a flow plays must
	// be an 8 kHz mono WAV in it. Nil skips the check.
	Prompts fs.FS
	// Calendars are the holiday calendars flows may name, by name.
	Calendars map[string]*calendar.Calendar
}

// Set is one loaded, checked version of all flows. It is immutable: a call
// keeps the Set it started with while a reload installs a new one.
type Set struct {
	flows     map[string]*Flow
	names     []string
	warnings  []Diagnostic
	calendars map[string]*calendar.Calendar
	prompts   fs.FS
	gen       uint64
}

// Load loads every *.ivr file at the root of fsys with the zero Loader.
func Load(fsys fs.FS) (*Set, error) { return Loader{}.Load(fsys) }

// Load parses and checks every *.ivr file at the root of fsys; the flow's
// name is the file name without ".ivr". Either every flow is good and a Set
// is returned (with any warnings), or the error is an ErrorList with every
// diagnostic of every file, errors and warnings, in file order.
func (l Loader) Load(fsys fs.FS) (*Set, error) {
	files, err := fs.Glob(fsys, "*.ivr")
	if err != nil {
		return nil, fmt.Errorf("ivr: %w", err)
	}
	if len(files) == 0 {
		return nil, ErrorList{{Pos: Pos{File: ".", Line: 1, Col: 1}, Msg: "no flow files (*.ivr)"}}
	}
	slices.Sort(files)
	flows := map[string]*Flow{}
	var all []*diags
	for _, file := range files {
		d := newDiags(file)
		all = append(all, d)
		name := strings.TrimSuffix(path.Base(file), ".ivr")
		if !validName(name) {
			d.errorf(Pos{File: file, Line: 1, Col: 1}, "flow name %q (from the file name): use letters, digits and _, starting with a letter", name)
			continue
		}
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			d.errorf(Pos{File: file, Line: 1, Col: 1}, "%v", err)
			continue
		}
		flows[name] = parseFlow(file, name, string(src), d)
	}
	env := newCheckEnv(flows, l.Calendars, l.Prompts)
	byFile := map[string]*diags{}
	for _, d := range all {
		byFile[d.file] = d
	}
	for _, name := range keys(flows) {
		f := flows[name]
		checkFlow(env, f, byFile[f.File])
	}
	var list []Diagnostic
	failed := false
	for _, d := range all {
		failed = failed || d.hasErrors()
		list = append(list, d.list...)
	}
	list = append(list, unsetVarWarnings(env)...)
	sortDiags(list)
	if failed {
		return nil, ErrorList(list)
	}
	return &Set{flows: flows, names: keys(flows), warnings: list, calendars: maps.Clone(l.Calendars), prompts: l.Prompts}, nil
}

// unsetVarWarnings flags variables read somewhere but set nowhere, unless an
// http reply might set them.
func unsetVarWarnings(env *checkEnv) []Diagnostic {
	if env.dynamic {
		return nil
	}
	var out []Diagnostic
	for name, p := range env.reads {
		if !env.sets[name] && !builtinVar(name) {
			out = append(out, Diagnostic{Pos: p, Warning: true,
				Msg: fmt.Sprintf("variable $%s is read but never set (it reads as \"\")", name)})
		}
	}
	return out
}

func validName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// Flow returns the flow called name.
func (s *Set) Flow(name string) (*Flow, bool) {
	f, ok := s.flows[name]
	return f, ok
}

// Names lists the flows, sorted.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Warnings lists what the checker found worth a look but not worth refusing.
func (s *Set) Warnings() []Diagnostic { return slices.Clone(s.warnings) }

// Generation is the Registry's counter for this Set (1 for the first load);
// 0 for a Set loaded outside a Registry.
func (s *Set) Generation() uint64 { return s.gen }

// Calendar returns a calendar the set was loaded with; nil if unknown.
func (s *Set) Calendar(name string) *calendar.Calendar { return s.calendars[name] }

// ParseFragment parses and checks a block of statements that an http reply
// returned while flow was running: no step labels, statements at the left
// margin, references resolved in flow. The error is an ErrorList.
func (s *Set) ParseFragment(flow, src string) ([]Stmt, error) {
	f, ok := s.flows[flow]
	if !ok {
		return nil, fmt.Errorf("ivr: fragment for unknown flow %q", flow)
	}
	const file = "(http reply)"
	d := newDiags(file)
	body := parseFragment(file, src, d)
	if !d.hasErrors() {
		checkFragment(newCheckEnv(s.flows, s.calendars, s.prompts), f, body, d)
	}
	if d.hasErrors() {
		sortDiags(d.list)
		return nil, ErrorList(d.list)
	}
	return body, nil
}

// parseFragment parses top-level statements up to the end of src.
func parseFragment(file, src string, d *diags) []Stmt {
	p := &parser{file: file, toks: lex(file, src, d), d: d}
	var out []Stmt
	for p.cur().kind != tEOF {
		switch p.cur().kind {
		case tIndent:
			p.d.syntax(p.cur().pos, "unexpected indentation")
			p.skipBlock()
			continue
		case tDedent, tNewline:
			p.next()
			continue
		}
		var s Stmt
		if p.safely(func() { s = p.stmt() }) && s != nil {
			out = append(out, s)
		}
	}
	if len(out) == 0 && !d.hasErrors() {
		d.syntax(Pos{File: file, Line: 1, Col: 1}, "fragment has no statements")
	}
	return out
}
