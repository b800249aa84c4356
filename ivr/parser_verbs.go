package ivr

import (
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of the input verbs, written down in docs/ivr.md.
const (
	defaultInputTimeout = 5 * time.Second
	defaultInterDigit   = 3 * time.Second
	defaultMenuRetries  = 2
	defaultSurveyTries  = 1
	defaultHTTPTimeout  = 3 * time.Second
	maxCollectDigits    = 32
)

// options reads "key value" pairs up to a ":" or the end of the line. fn is
// called with each key after it is consumed and parses the value.
func (p *parser) options(verb string, allowed []string, fn func(key token)) {
	seen := map[string]bool{}
	for {
		t := p.cur()
		switch t.kind {
		case tNewline, tColon, tEOF:
			return
		case tIdent:
			if len(allowed) > 0 {
				break
			}
			fallthrough
		default:
			if len(allowed) == 0 {
				p.fail(t.pos, "unexpected %s after %s", t.describe(), verb)
			}
			p.fail(t.pos, "unexpected %s in %s; its options are %s", t.describe(), verb, strings.Join(allowed, ", "))
		}
		if !contains(allowed, t.text) {
			p.fail(t.pos, "%s has no option %q%s; its options are %s", verb, t.text, suggest(t.text, allowed), strings.Join(allowed, ", "))
		}
		if seen[t.text] {
			p.fail(t.pos, "%s option %q is given twice", verb, t.text)
		}
		seen[t.text] = true
		p.next()
		fn(t)
	}
}

// duration reads a duration such as 500ms, 5s or 2m and checks its range.
func (p *parser) duration(what string, lo, hi time.Duration) time.Duration {
	t := p.cur()
	if t.kind != tWord {
		p.fail(t.pos, "%s needs a duration such as 5s, found %s", what, t.describe())
	}
	p.next()
	if allDigits(t.text) {
		p.fail(t.pos, "duration %q for %s needs a unit: write %ss or %sms", t.text, what, t.text, t.text)
	}
	d, err := time.ParseDuration(t.text)
	if err != nil {
		p.fail(t.pos, "bad duration %q for %s: write e.g. 500ms, 5s or 2m", t.text, what)
	}
	if d < lo || d > hi {
		p.d.errorf(t.pos, "%s %s is out of range: allowed %s to %s", what, t.text, fmtDur(lo), fmtDur(hi))
	}
	return d
}

// fmtDur prints whole hours and minutes as 24h and 1m rather than 24h0m0s.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func (p *parser) integer(what string, lo, hi int) int {
	t := p.cur()
	if t.kind != tWord || !allDigits(t.text) || len(t.text) > 6 {
		p.fail(t.pos, "%s needs a whole number, found %s", what, t.describe())
	}
	p.next()
	n, _ := strconv.Atoi(t.text)
	if n < lo || n > hi {
		p.d.errorf(t.pos, "%s %d is out of range: allowed %d to %d", what, n, lo, hi)
	}
	return n
}

func (p *parser) onOff(what string) bool {
	t := p.cur()
	if t.kind == tIdent && (t.text == "on" || t.text == "off") {
		p.next()
		return t.text == "on"
	}
	p.fail(t.pos, "%s needs on or off, found %s", what, t.describe())
	return false
}

// name reads a queue, skill, mailbox or trunk name: a bare name or a string.
func (p *parser) name(what string) string {
	t := p.cur()
	if t.kind == tIdent || t.kind == tString && len(t.parts) == 1 && t.parts[0].Var == "" && t.text != "" {
		p.next()
		return t.text
	}
	p.fail(t.pos, "%s needs a name, found %s", what, t.describe())
	return ""
}

func (p *parser) dtmfKey(what string) string {
	t := p.cur()
	if (t.kind == tString || t.kind == tWord) && isDTMF(t.text) {
		p.next()
		return t.text
	}
	p.fail(t.pos, "%s needs one DTMF key: 0-9, \"*\" or \"#\", found %s", what, t.describe())
	return ""
}

func isDTMF(s string) bool { return len(s) == 1 && strings.Contains("0123456789*#", s) }

// blockStart consumes the ":" and line end that open a statement's branches
// and reports whether there are any.
func (p *parser) blockStart(verb string) bool {
	if p.cur().kind != tColon {
		p.endLine(verb)
		return false
	}
	p.next()
	p.expect(tNewline, "after \""+verb+" ...:\"; put its branches on the lines below")
	return true
}

// arms parses the indented branches of a statement. key validates a branch
// label (failing on a bad one) and returns it.
func (p *parser) arms(verb string, key func(t token) string) []*Arm {
	if p.cur().kind != tIndent {
		p.d.syntax(p.cur().pos, "expected the branches of %s on the lines below, indented", verb)
		return nil
	}
	p.next()
	var out []*Arm
	seen := map[string]int{}
	for p.cur().kind != tDedent && p.cur().kind != tEOF {
		p.safely(func() {
			t := p.cur()
			k := key(t)
			p.next()
			p.expect(tColon, "after "+t.describe())
			a := &Arm{Pos: t.pos, Key: k}
			if line, dup := seen[k]; dup {
				p.d.errorf(t.pos, "%s branch %s is already given at line %d", verb, t.describe(), line)
			}
			seen[k] = t.pos.Line
			a.Body = p.body(verb + " branch " + t.describe())
			out = append(out, a)
		})
	}
	p.next()
	return out
}

// namedArm returns a key function accepting only the given branch names.
func (p *parser) namedArm(verb string, names ...string) func(t token) string {
	return func(t token) string {
		if t.kind == tIdent && contains(names, t.text) {
			return t.text
		}
		p.fail(t.pos, "%s has no branch %s%s; its branches are %s", verb, t.describe(), suggest(t.text, names), strings.Join(names, ", "))
		return ""
	}
}

func (p *parser) menu() Stmt {
	t := p.next()
	m := &Menu{Pos: t.pos, Timeout: defaultInputTimeout, Retries: defaultMenuRetries, BargeIn: true}
	hasPrompt := false
	p.options("menu", []string{"prompt", "timeout", "retries", "bargein"}, func(k token) {
		switch k.text {
		case "prompt":
			m.Prompt, hasPrompt = p.prompt("menu prompt"), true
		case "timeout":
			m.Timeout = p.duration("menu timeout", time.Second, time.Minute)
		case "retries":
			m.Retries = p.integer("menu retries", 0, 9)
		case "bargein":
			m.BargeIn = p.onOff("bargein")
		}
	})
	if !hasPrompt {
		p.d.errorf(t.pos, "menu needs a prompt: menu prompt \"file.wav\" ...")
	}
	if p.cur().kind != tColon {
		p.fail(p.cur().pos, "menu needs its keys: end the line with \":\" and list one key per line below it")
	}
	p.blockStart("menu")
	arms := p.arms("menu", func(t token) string {
		switch {
		case (t.kind == tWord || t.kind == tString) && isDTMF(t.text):
			return t.text
		case t.kind == tIdent && (t.text == "invalid" || t.text == "timeout"):
			return t.text
		}
		p.fail(t.pos, "menu key must be one DTMF key (0-9, \"*\" or \"#\"), invalid or timeout; found %s", t.describe())
		return ""
	})
	for _, a := range arms {
		switch a.Key {
		case "invalid":
			m.Invalid = a
		case "timeout":
			m.OnTimeout = a
		default:
			m.Options = append(m.Options, a)
		}
	}
	if len(m.Options) == 0 {
		p.d.errorf(t.pos, "menu has no keys to press")
	}
	if m.OnTimeout == nil {
		p.d.errorf(t.pos, "menu has no \"timeout:\" branch; say what happens when the caller presses nothing")
	}
	return m
}

func (p *parser) collect() Stmt {
	t := p.next()
	v := p.cur()
	if v.kind != tVar {
		p.fail(v.pos, "collect needs the variable to fill, e.g. collect $outlet, found %s", v.describe())
	}
	p.next()
	c := &Collect{Pos: t.pos, Var: v.text, Min: 1, Timeout: defaultInputTimeout, InterDigit: defaultInterDigit, Retries: defaultMenuRetries}
	var minPos Pos
	p.options("collect", []string{"prompt", "min", "max", "terminator", "timeout", "interdigit", "retries"}, func(k token) {
		switch k.text {
		case "prompt":
			pr := p.prompt("collect prompt")
			c.Prompt = &pr
		case "min":
			minPos = p.cur().pos
			c.Min = p.integer("collect min", 1, maxCollectDigits)
		case "max":
			c.Max = p.integer("collect max", 1, maxCollectDigits)
		case "terminator":
			c.Terminator = p.dtmfKey("terminator")
		case "timeout":
			c.Timeout = p.duration("collect timeout", time.Second, time.Minute)
		case "interdigit":
			c.InterDigit = p.duration("collect interdigit", time.Second, 30*time.Second)
		case "retries":
			c.Retries = p.integer("collect retries", 0, 9)
		}
	})
	switch {
	case c.Max == 0:
		p.d.errorf(t.pos, "collect needs max, the most digits to take")
	case c.Min > c.Max:
		p.d.errorf(minPos, "collect min %d is more than max %d", c.Min, c.Max)
	}
	if p.blockStart("collect") {
		for _, a := range p.arms("collect", p.namedArm("collect", "timeout")) {
			c.OnTimeout = a
		}
	}
	return c
}

func (p *parser) queue() Stmt {
	t := p.next()
	q := &Queue{Pos: t.pos, Name: p.name("queue")}
	p.options("queue", []string{"skill", "priority", "timeout"}, func(k token) {
		switch k.text {
		case "skill":
			q.Skill = p.name("skill")
		case "priority":
			q.Priority = p.integer("queue priority", 0, 9)
		case "timeout":
			q.Timeout = p.duration("queue timeout", time.Second, 24*time.Hour)
		}
	})
	if p.blockStart("queue") {
		for _, a := range p.arms("queue", p.namedArm("queue", "timeout")) {
			q.OnTimeout = a
		}
	}
	return q
}

func (p *parser) transfer() Stmt {
	t := p.next()
	kind := p.cur()
	s := &Transfer{Pos: t.pos}
	switch {
	case p.isIdent("extension"):
	case p.isIdent("external"):
		s.External = true
	default:
		p.fail(kind.pos, "transfer needs extension or external, e.g. transfer extension 8001, found %s", kind.describe())
	}
	p.next()
	s.Target = p.value("transfer " + kind.text)
	if lit, ok := staticValue(s.Target); ok && !validNumber(lit, s.External) {
		what := "an extension is digits"
		if s.External {
			what = "an external number is digits, optionally after +"
		}
		p.d.errorf(s.Target.Position(), "transfer target %q: %s", lit, what)
	}
	var opts []string
	if s.External {
		opts = []string{"trunk"}
	}
	p.options("transfer "+kind.text, opts, func(k token) { s.Trunk = p.name("trunk") })
	if p.blockStart("transfer") {
		for _, a := range p.arms("transfer", p.namedArm("transfer", "failed")) {
			s.OnFail = a
		}
	}
	return s
}

func validNumber(s string, external bool) bool {
	if external {
		s = strings.TrimPrefix(s, "+")
	}
	return allDigits(s) && len(s) <= 32
}

// staticValue returns a literal's text when the value is known at load time.
func staticValue(e Expr) (string, bool) {
	switch v := e.(type) {
	case *Num:
		return v.Text, true
	case *Str:
		return v.Static()
	}
	return "", false
}

func (p *parser) record() Stmt {
	t := p.next()
	r := &Record{Pos: t.pos, Beep: true}
	p.options("record", []string{"mailbox", "prompt", "max", "beep"}, func(k token) {
		switch k.text {
		case "mailbox":
			r.Mailbox = p.name("mailbox")
		case "prompt":
			pr := p.prompt("record prompt")
			r.Prompt = &pr
		case "max":
			r.Max = p.duration("record max", time.Second, 10*time.Minute)
		case "beep":
			r.Beep = p.onOff("beep")
		}
	})
	if r.Mailbox == "" {
		p.d.errorf(t.pos, "record needs a mailbox: record mailbox hotline max 60s")
	}
	if r.Max == 0 {
		p.d.errorf(t.pos, "record needs max, the longest message to keep, e.g. max 60s")
	}
	p.endLine("record")
	return r
}

func (p *parser) survey() Stmt {
	t := p.next()
	s := &Survey{Pos: t.pos, Low: 1, High: 5, Timeout: defaultInputTimeout, Retries: defaultSurveyTries}
	hasPrompt := false
	p.options("survey", []string{"prompt", "scale", "timeout", "retries"}, func(k token) {
		switch k.text {
		case "prompt":
			s.Prompt, hasPrompt = p.prompt("survey prompt"), true
		case "scale":
			w := p.cur()
			lo, hi, ok := strings.Cut(w.text, "-")
			if w.kind != tWord || !ok || len(lo) != 1 || len(hi) != 1 || !allDigits(lo+hi) || lo >= hi {
				p.fail(w.pos, "survey scale needs two keys such as 1-5, lowest first, found %s", w.describe())
			}
			p.next()
			s.Low, s.High = int(lo[0]-'0'), int(hi[0]-'0')
		case "timeout":
			s.Timeout = p.duration("survey timeout", time.Second, time.Minute)
		case "retries":
			s.Retries = p.integer("survey retries", 0, 9)
		}
	})
	if !hasPrompt {
		p.d.errorf(t.pos, "survey needs a prompt: survey prompt \"survey.wav\"")
	}
	p.endLine("survey")
	return s
}

func (p *parser) http() Stmt {
	t := p.next()
	u := p.cur()
	if u.kind != tString {
		p.fail(u.pos, "http needs a URL in double quotes, found %s", u.describe())
	}
	p.next()
	h := &HTTP{Pos: t.pos, URL: &Str{Pos: u.pos, Parts: u.parts}, Timeout: defaultHTTPTimeout}
	if msg := checkURL(h.URL); msg != "" {
		p.d.errorf(u.pos, "%s", msg)
	}
	p.options("http", []string{"timeout", "send"}, func(k token) {
		switch k.text {
		case "timeout":
			h.Timeout = p.duration("http timeout", 100*time.Millisecond, 30*time.Second)
		case "send":
			h.Send = []string{}
			for {
				v := p.cur()
				if v.kind != tVar {
					p.fail(v.pos, "send needs variables such as $caller, $outlet, found %s", v.describe())
				}
				p.next()
				h.Send = append(h.Send, v.text)
				if p.cur().kind != tComma {
					break
				}
				p.next()
			}
		}
	})
	if p.cur().kind != tColon {
		p.fail(p.cur().pos, "http needs a fallback: end the line with \":\" and add \"fallback:\" below it")
	}
	p.blockStart("http")
	for _, a := range p.arms("http", p.namedArm("http", "fallback")) {
		h.Fallback = a
	}
	if h.Fallback == nil {
		p.d.errorf(t.pos, "http has no \"fallback:\" branch; say what happens when the server is slow or down")
	}
	return h
}

// checkURL returns a message if the URL cannot be an http(s) address.
func checkURL(s *Str) string {
	raw, static := s.Static()
	if !static {
		if s.Parts[0].Var != "" || !(strings.HasPrefix(s.Parts[0].Lit, "http://") || strings.HasPrefix(s.Parts[0].Lit, "https://")) {
			return "http URL must start with http:// or https:// before any ${...}"
		}
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("http URL %q is not an http:// or https:// address", raw)
	}
	return ""
}

func validPromptPath(name string) bool {
	return fs.ValidPath(name) && !strings.Contains(name, `\`)
}
