package ivr

import (
	"strings"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// condFuncList names the built-in conditions.
func condFuncList() []string {
	return []string{"open", "closed", "holiday", "workday", "time", "weekday", "date"}
}

// cond parses:  or := and { "or" and };  and := not { "and" not };
// not := "not" not | "(" or ")" | func "(" args ")" | value op value.
func (p *parser) cond() Cond {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		p.fail(p.cur().pos, "condition nested too deeply")
	}
	left := p.andCond()
	for p.isIdent("or") {
		t := p.next()
		left = &Or{Pos: t.pos, Left: left, Right: p.andCond()}
	}
	return left
}

func (p *parser) andCond() Cond {
	left := p.notCond()
	for p.isIdent("and") {
		t := p.next()
		left = &And{Pos: t.pos, Left: left, Right: p.notCond()}
	}
	return left
}

func (p *parser) notCond() Cond {
	t := p.cur()
	switch {
	case p.isIdent("not"):
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxNesting {
			p.fail(t.pos, "condition nested too deeply")
		}
		return &Not{Pos: t.pos, X: p.notCond()}
	case t.kind == tLParen:
		p.next()
		c := p.cond()
		p.expect(tRParen, "to close the \"(\"")
		return c
	case t.kind == tIdent && contains(condFuncList(), t.text):
		return p.condFunc()
	case t.kind == tIdent:
		p.fail(t.pos, "unknown condition %q%s; compare a variable ($x == \"1\") or use %s()", t.text, suggest(t.text, condFuncList()), strings.Join(condFuncList(), "(), "))
	}
	left := p.value("the condition")
	op := p.cur()
	var sym string
	switch op.kind {
	case tEq:
		sym = "=="
	case tNe:
		sym = "!="
	case tLt:
		sym = "<"
	case tLe:
		sym = "<="
	case tGt:
		sym = ">"
	case tGe:
		sym = ">="
	case tAssign:
		p.fail(op.pos, "use \"==\" to compare; \"=\" assigns")
	default:
		p.fail(op.pos, "expected a comparison (== != < <= > >=) after %s, found %s", t.describe(), op.describe())
	}
	p.next()
	return &Compare{Pos: t.pos, Op: sym, Left: left, Right: p.value("the comparison")}
}

// value parses a number, a string or a variable.
func (p *parser) value(what string) Expr {
	t := p.cur()
	switch t.kind {
	case tVar:
		p.next()
		return &Var{Pos: t.pos, Name: t.text}
	case tString:
		p.next()
		return &Str{Pos: t.pos, Parts: t.parts}
	case tWord:
		if !allDigits(t.text) {
			p.fail(t.pos, "%q is not a number; quote text, e.g. \"%s\"", t.text, t.text)
		}
		p.next()
		return &Num{Pos: t.pos, Text: t.text}
	}
	p.fail(t.pos, "%s needs a value (a number, \"text\" or $variable), found %s", what, t.describe())
	return nil
}

// condFunc parses one of the built-in conditions with its arguments.
func (p *parser) condFunc() Cond {
	t := p.next()
	p.expect(tLParen, "after "+t.text)
	var c Cond
	switch t.text {
	case "open", "closed":
		c = p.openArgs(t)
	case "holiday", "workday":
		cal := ""
		p.namedArgs(t.text, func(k token) {
			if k.text != "calendar" {
				p.fail(k.pos, "%s() takes calendar \"name\", found %s", t.text, k.describe())
			}
			cal = p.calendarName()
		})
		if cal == "" {
			p.fail(t.pos, "%s() needs a calendar, e.g. %s(calendar \"cn\")", t.text, t.text)
		}
		if t.text == "holiday" {
			c = &Holiday{Pos: t.pos, Calendar: cal}
		} else {
			c = &Workday{Pos: t.pos, Calendar: cal}
		}
	case "time":
		c = p.timeArgs(t)
	case "weekday":
		c = p.weekdayArgs(t)
	case "date":
		c = p.dateArgs(t)
	}
	p.expect(tRParen, "to close "+t.text+"(")
	return c
}

// namedArgs reads comma-separated "key value" arguments up to ")".
func (p *parser) namedArgs(fn string, each func(k token)) {
	seen := map[string]bool{}
	for p.cur().kind != tRParen {
		k := p.cur()
		if k.kind != tIdent {
			p.fail(k.pos, "expected an argument name in %s(), found %s", fn, k.describe())
		}
		if seen[k.text] {
			p.fail(k.pos, "%s() argument %q is given twice", fn, k.text)
		}
		seen[k.text] = true
		p.next()
		each(k)
		if p.cur().kind != tComma {
			return
		}
		p.next()
	}
}

func (p *parser) calendarName() string {
	t := p.cur()
	if t.kind != tString || t.text == "" || len(t.parts) != 1 || t.parts[0].Var != "" {
		p.fail(t.pos, "calendar needs a name in double quotes such as \"cn\", found %s", t.describe())
	}
	p.next()
	return t.text
}

func (p *parser) openArgs(fn token) Cond {
	o := &Open{Pos: fn.pos, Closed: fn.text == "closed"}
	hasHours := false
	p.namedArgs(fn.text, func(k token) {
		switch k.text {
		case "hours":
			h := p.cur()
			if h.kind != tString || len(h.parts) != 1 || h.parts[0].Var != "" {
				p.fail(h.pos, "hours needs an expression in double quotes such as \"mon-fri 09:00-17:30\", found %s", h.describe())
			}
			p.next()
			hours, err := calendar.ParseHours(h.text)
			if err != nil {
				p.d.errorf(h.pos, "%v", err)
			}
			o.Hours, o.HoursText, hasHours = hours, h.text, true
		case "calendar":
			o.Calendar = p.calendarName()
		default:
			p.fail(k.pos, "%s() takes hours and calendar, found %s", fn.text, k.describe())
		}
	})
	if !hasHours {
		p.fail(fn.pos, "%s() needs hours, e.g. %s(hours \"mon-fri 09:00-17:30\", calendar \"cn\")", fn.text, fn.text)
	}
	return o
}

// list reads one or more comma-separated items up to ")".
func (p *parser) list(fn string, item func()) {
	if p.cur().kind == tRParen {
		p.fail(p.cur().pos, "%s() needs at least one argument", fn)
	}
	for {
		item()
		if p.cur().kind != tComma {
			return
		}
		p.next()
	}
}

func (p *parser) timeArgs(fn token) Cond {
	c := &TimeOfDay{Pos: fn.pos}
	p.list("time", func() {
		w := p.cur()
		if w.kind != tWord {
			p.fail(w.pos, "time() needs ranges such as 09:00-12:00, found %s", w.describe())
		}
		p.next()
		r, err := calendar.ParseClockRange(w.text)
		if err != nil {
			p.fail(w.pos, "time(): %v", err)
		}
		if r[0] == r[1] {
			p.d.errorf(w.pos, "time(): %q is empty", w.text)
		}
		c.Ranges = append(c.Ranges, r)
	})
	return c
}

func (p *parser) weekdayArgs(fn token) Cond {
	c := &Weekday{Pos: fn.pos}
	day := func() time.Weekday {
		t := p.cur()
		d, ok := calendar.ParseWeekday(t.text)
		if t.kind != tIdent || !ok {
			p.fail(t.pos, "weekday() needs days such as mon-fri or sat, sun; found %s", t.describe())
		}
		p.next()
		return d
	}
	p.list("weekday", func() {
		from := day()
		to := from
		if p.cur().kind == tMinus {
			p.next()
			to = day()
		}
		for d := from; ; d = (d + 1) % 7 {
			c.Days[d] = true
			if d == to {
				break
			}
		}
	})
	return c
}

func (p *parser) dateArgs(fn token) Cond {
	c := &DateIn{Pos: fn.pos}
	p.list("date", func() {
		w := p.cur()
		if w.kind != tWord {
			p.fail(w.pos, "date() needs dates such as 2026-02-18 or 2026-02-15..2026-02-23, found %s", w.describe())
		}
		p.next()
		a, b, isRange := strings.Cut(w.text, "..")
		if !isRange {
			b = a
		}
		from, err1 := time.Parse(time.DateOnly, a)
		to, err2 := time.Parse(time.DateOnly, b)
		if err1 != nil || err2 != nil {
			p.fail(w.pos, "date(): %q is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD", w.text)
		}
		if to.Before(from) {
			p.d.errorf(w.pos, "date(): %q ends before it starts", w.text)
		}
		c.Ranges = append(c.Ranges, [2]time.Time{from, to})
	})
	return c
}
