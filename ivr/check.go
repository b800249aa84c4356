package ivr

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/yimen/yimen/internal/calendar"
)

// builtinVar says whether the runtime sets name before a flow starts
// (caller, called, call_id, tenant) or a verb sets it (record sets
// $recording, survey sets $survey).
func builtinVar(name string) bool {
	switch name {
	case "caller", "called", "call_id", "tenant", "recording", "survey":
		return true
	}
	return false
}

// checkEnv is what the checker knows beyond one flow: the other flows of the
// set, the calendars, the prompt directory, and what it found so far.
type checkEnv struct {
	flows     map[string]*Flow
	calendars map[string]*calendar.Calendar
	prompts   fs.FS // nil: prompt files are not checked
	promptMsg map[string]string
	reads     map[string]Pos // first read of each variable, set-wide
	sets      map[string]bool
	dynamic   bool // some flow has http, which may set any variable
}

func newCheckEnv(flows map[string]*Flow, cals map[string]*calendar.Calendar, prompts fs.FS) *checkEnv {
	return &checkEnv{flows: flows, calendars: cals, prompts: prompts, promptMsg: map[string]string{},
		reads: map[string]Pos{}, sets: map[string]bool{}}
}

type checker struct {
	env  *checkEnv
	flow *Flow
	d    *diags
}

// checkFlow runs every static check on one parsed flow. When parsing already
// found errors the AST may be partial, so only the checks of single
// statements run: structure and loop messages would be echoes of them.
func checkFlow(env *checkEnv, f *Flow, d *diags) {
	c := &checker{env: env, flow: f, d: d}
	whole := !d.hasErrors()
	c.duplicateSteps()
	for _, st := range f.Steps {
		c.refs(st.Body)
	}
	if !whole {
		return
	}
	for _, st := range f.Steps {
		if c.falls(st.Body) {
			c.d.errorf(st.Pos, "step %q can run off its end; finish it with goto, return or hangup", st.Name)
		}
	}
	c.loops()
}

// checkFragment checks a block that arrives at run time in an http reply:
// references must resolve in f, and dead code is still an error. Running off
// its end is fine: the flow continues after the http statement.
func checkFragment(env *checkEnv, f *Flow, body []Stmt, d *diags) {
	c := &checker{env: env, flow: f, d: d}
	c.refs(body)
	c.falls(body)
}

// duplicateSteps reports a step name used twice; the parser's index keeps
// the first.
func (c *checker) duplicateSteps() {
	for _, st := range c.flow.Steps {
		if first := c.flow.index[st.Name]; first != st {
			c.d.errorf(st.Pos, "step %q is already defined at line %d", st.Name, first.Line)
		}
	}
}

// eachStmt calls fn for every statement of body, nested ones included.
func eachStmt(body []Stmt, fn func(Stmt)) {
	for _, s := range body {
		fn(s)
		for _, b := range subBlocks(s) {
			eachStmt(b, fn)
		}
	}
}

// subBlocks lists the blocks nested in a statement.
func subBlocks(s Stmt) [][]Stmt {
	var out [][]Stmt
	arm := func(a *Arm) {
		if a != nil {
			out = append(out, a.Body)
		}
	}
	switch s := s.(type) {
	case *Menu:
		for _, o := range s.Options {
			arm(o)
		}
		arm(s.Invalid)
		arm(s.OnTimeout)
	case *Collect:
		arm(s.OnTimeout)
	case *Queue:
		arm(s.OnTimeout)
	case *Transfer:
		arm(s.OnFail)
	case *HTTP:
		arm(s.Fallback)
	case *If:
		out = append(out, s.Then)
		if s.Else != nil {
			out = append(out, s.Else)
		}
	case *When:
		for _, k := range s.Cases {
			out = append(out, k.Body)
		}
	}
	return out
}

// refs checks everything a block names outside itself: steps, flows,
// calendars, prompt files and variables.
func (c *checker) refs(body []Stmt) {
	eachStmt(body, func(s Stmt) {
		switch s := s.(type) {
		case *Goto:
			c.target(s.Target, "goto")
		case *Sub:
			c.target(s.Target, "sub")
		case *Play:
			c.prompt(&s.Prompt)
		case *Menu:
			c.prompt(&s.Prompt)
		case *Collect:
			c.prompt(s.Prompt)
			c.env.sets[s.Var] = true
		case *Record:
			c.prompt(s.Prompt)
		case *Survey:
			c.prompt(&s.Prompt)
		case *SetVar:
			c.env.sets[s.Var] = true
			c.read(s.Value)
		case *Say:
			c.read(s.Value)
		case *Transfer:
			c.read(s.Target)
		case *HTTP:
			c.env.dynamic = true
			c.read(s.URL)
			for _, v := range s.Send {
				c.readVar(v, s.Pos)
			}
		case *If:
			c.cond(s.Cond)
		case *When:
			for _, k := range s.Cases {
				if k.Cond != nil {
					c.cond(k.Cond)
				}
			}
		}
	})
}

func (c *checker) target(t Target, verb string) {
	if t.Flow != "" {
		if _, ok := c.env.flows[t.Flow]; !ok {
			c.d.errorf(t.Pos, "%s flow %q: no such flow (no file %s.ivr)%s", verb, t.Flow, t.Flow, suggest(t.Flow, keys(c.env.flows)))
		}
		return
	}
	if _, ok := c.flow.index[t.Step]; !ok {
		names := make([]string, 0, len(c.flow.Steps))
		for _, st := range c.flow.Steps {
			names = append(names, st.Name)
		}
		hint := suggest(t.Step, names)
		if hint == "" {
			if _, isFlow := c.env.flows[t.Step]; isFlow {
				hint = fmt.Sprintf(" (to enter flow %q write %s flow %s)", t.Step, verb, t.Step)
			}
		}
		c.d.errorf(t.Pos, "%s %s: no step %q in this flow%s", verb, t.Step, t.Step, hint)
	}
}

func (c *checker) prompt(p *Prompt) {
	if p == nil {
		return
	}
	if p.TTS != nil {
		c.read(p.TTS)
		return
	}
	if c.env.prompts == nil || p.File == "" || !validPromptPath(p.File) ||
		!strings.HasSuffix(strings.ToLower(p.File), ".wav") || strings.Contains(p.File, "${") {
		return // the parser has said what is wrong with the name
	}
	msg, seen := c.env.promptMsg[p.File]
	if !seen {
		msg = checkPromptFile(c.env.prompts, p.File)
		c.env.promptMsg[p.File] = msg
	}
	if msg != "" {
		c.d.errorf(p.Pos, "%s", msg)
	}
}

func (c *checker) cond(x Cond) {
	switch x := x.(type) {
	case *And:
		c.cond(x.Left)
		c.cond(x.Right)
	case *Or:
		c.cond(x.Left)
		c.cond(x.Right)
	case *Not:
		c.cond(x.X)
	case *Compare:
		c.read(x.Left)
		c.read(x.Right)
	case *Holiday:
		c.calendar(x.Pos, x.Calendar)
	case *Workday:
		c.calendar(x.Pos, x.Calendar)
	case *Open:
		if x.Calendar != "" {
			c.calendar(x.Pos, x.Calendar)
		}
	}
}

func (c *checker) calendar(p Pos, name string) {
	if _, ok := c.env.calendars[name]; !ok {
		have := keys(c.env.calendars)
		list := "none are loaded"
		if len(have) > 0 {
			list = "loaded: " + strings.Join(have, ", ")
		}
		c.d.errorf(p, "unknown calendar %q (%s)%s", name, list, suggest(name, have))
	}
}

func (c *checker) read(e Expr) {
	switch e := e.(type) {
	case *Var:
		c.readVar(e.Name, e.Pos)
	case *Str:
		for _, part := range e.Parts {
			if part.Var != "" {
				c.readVar(part.Var, e.Pos)
			}
		}
	}
}

func (c *checker) readVar(name string, p Pos) {
	if _, seen := c.env.reads[name]; !seen {
		c.env.reads[name] = p
	}
}

// falls reports whether control can run off the end of body, and reports
// statements that follow one which never continues.
func (c *checker) falls(body []Stmt) bool {
	for i, s := range body {
		if !c.stmtFalls(s) {
			if i+1 < len(body) {
				c.d.errorf(body[i+1].Position(), "unreachable: nothing after %s on line %d ever runs", verbName(s), s.Position().Line)
			}
			return false
		}
	}
	return true
}

// stmtFalls reports whether control can continue after s.
func (c *checker) stmtFalls(s Stmt) bool {
	armFalls := func(a *Arm) bool { return a == nil || c.falls(a.Body) }
	switch s := s.(type) {
	case *Goto, *Hangup, *Return:
		return false
	case *Transfer:
		return s.OnFail != nil && c.falls(s.OnFail.Body)
	case *If:
		t := c.falls(s.Then)
		return t || s.Else == nil || c.falls(s.Else)
	case *When:
		any, hasElse := false, false
		for _, k := range s.Cases {
			any = c.falls(k.Body) || any
			hasElse = hasElse || k.Cond == nil
		}
		return any || !hasElse
	case *Menu:
		any := false
		for _, o := range s.Options {
			any = c.falls(o.Body) || any
		}
		if s.Invalid != nil {
			c.falls(s.Invalid.Body) // running off it tries again
		}
		return armFalls(s.OnTimeout) || any
	case *Collect:
		armFalls(s.OnTimeout)
	case *Queue:
		armFalls(s.OnTimeout)
	case *HTTP:
		armFalls(s.Fallback)
	}
	return true
}

// verbName is how messages name a statement.
func verbName(s Stmt) string {
	switch s.(type) {
	case *Goto:
		return "goto"
	case *Hangup:
		return "hangup"
	case *Return:
		return "return"
	case *Transfer:
		return "transfer"
	case *If:
		return "an if whose branches all leave"
	case *When:
		return "a when whose cases all leave"
	case *Menu:
		return "a menu whose branches all leave"
	}
	return "this statement"
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
