package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/errs"
)

// Defaults for Options.
const (
	DefaultMaxSteps = 10000
	DefaultMaxDepth = 16
)

// Options configures an Interpreter.
type Options struct {
	Clock    func() time.Time // default time.Now
	Location *time.Location   // for time(), weekday() and date(); default Asia/Shanghai
	HTTP     Doer             // nil: every http statement takes its fallback
	HTTPKey  []byte           // HMAC-SM3 key signing http requests
	Log      *slog.Logger     // default discards
	MaxSteps int              // statements per call before it is cut off; default DefaultMaxSteps
	MaxDepth int              // nested subs; default DefaultMaxDepth
}

// Interpreter runs flows against Sessions. It holds no per-call state and is
// safe for concurrent use.
type Interpreter struct {
	opt Options
}

// NewInterpreter fills in defaults.
func NewInterpreter(o Options) *Interpreter {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Location == nil {
		o.Location, _ = calendar.LoadZone(calendar.DefaultZone) // never fails for the default
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return &Interpreter{opt: o}
}

// Outcome is how a call left the IVR.
type Outcome uint8

// The ways a call leaves the IVR.
const (
	OutcomeHangup      Outcome = iota + 1 // the flow hung up (hangup, return or running out)
	OutcomeTransferred                    // transfer succeeded
	OutcomeCallerGone                     // the caller hung up (context cancelled)
	OutcomeAborted                        // an error; the runtime should hang up
)

func (o Outcome) String() string {
	switch o {
	case OutcomeHangup:
		return "hangup"
	case OutcomeTransferred:
		return "transferred"
	case OutcomeCallerGone:
		return "caller-gone"
	case OutcomeAborted:
		return "aborted"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result reports a finished run.
type Result struct {
	Outcome Outcome
	Flow    string // where the call was when it left
	Step    string
	Steps   int // statements executed
	Vars    map[string]string
}

// LimitError reports a call cut off for running MaxSteps statements or
// nesting subs MaxDepth deep. It wraps errs.ErrUnavailable.
type LimitError struct {
	What  string // "statements" or "nested subs"
	Limit int
	At    Pos
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("ivr: %s: cut off after %d %s", e.At, e.Limit, e.What)
}

func (e *LimitError) Unwrap() error { return errs.ErrUnavailable }

type ctlKind uint8

// The zero ctl means "carry on with the next statement".
const (
	ctlNext   ctlKind = iota // carry on with the next statement
	ctlGoto                  // continue at step
	ctlReturn                // leave the current sub
	ctlEnd                   // the call has left the IVR
)

type ctl struct {
	kind    ctlKind
	flow    *Flow
	step    *Step
	outcome Outcome
}

// run is one call's walk through a Set.
type run struct {
	in    *Interpreter
	set   *Set
	s     Session
	vars  map[string]string
	steps int
	depth int
	flow  *Flow
	step  *Step
	log   *slog.Logger
}

// Run walks flow of set (the version the call started with) against s until
// the call leaves the IVR. vars are the call's starting variables (caller,
// called, call_id, tenant…); they are copied. An unknown flow wraps
// errs.ErrNotFound; a Session failure other than the caller hanging up
// yields OutcomeAborted and the error; a flow that runs away is hung up
// after MaxSteps statements (or MaxDepth nested subs) with a *LimitError.
func (in *Interpreter) Run(ctx context.Context, set *Set, flow string, s Session, vars map[string]string) (Result, error) {
	f, ok := set.Flow(flow)
	if !ok {
		return Result{Outcome: OutcomeAborted}, fmt.Errorf("ivr: flow %q: %w", flow, errs.ErrNotFound)
	}
	r := &run{in: in, set: set, s: s, vars: maps.Clone(vars), log: in.opt.Log.With("flow", flow)}
	if r.vars == nil {
		r.vars = map[string]string{}
	}
	c, err := r.callStep(ctx, f, f.Entry())
	res := Result{Flow: r.flow.Name, Step: r.step.Name, Steps: r.steps, Vars: r.vars}
	switch {
	case errors.As(err, new(*LimitError)):
		r.log.Error("ivr flow cut off", "step", res.Step, "steps", r.steps)
		_ = s.Hangup(ctx)
		res.Outcome = OutcomeAborted
	case err != nil:
		res.Outcome = OutcomeAborted
	case c.kind == ctlEnd:
		res.Outcome = c.outcome
	default: // returned from the top, or ran off a step
		res.Outcome = r.hangup(ctx).outcome
	}
	return res, err
}

// callStep runs a step and the steps it jumps to until one returns (or the
// call ends). Running off the end of a step returns, as the checker allows
// only in fragments.
func (r *run) callStep(ctx context.Context, f *Flow, st *Step) (ctl, error) {
	for {
		r.flow, r.step = f, st
		c, err := r.block(ctx, st.Body)
		if err != nil || c.kind == ctlEnd {
			return c, err
		}
		if c.kind != ctlGoto {
			return ctl{kind: ctlReturn}, nil
		}
		f, st = c.flow, c.step
	}
}

func (r *run) block(ctx context.Context, body []Stmt) (ctl, error) {
	for _, s := range body {
		c, err := r.exec(ctx, s)
		if err != nil || c.kind != ctlNext {
			return c, err
		}
	}
	return ctl{}, nil
}

// done turns a Session error into the right control: nothing, the caller
// gone, or an abort.
func (r *run) done(ctx context.Context, verb string, at Pos, err error) (ctl, error) {
	switch {
	case err == nil:
		return ctl{}, nil
	case ctx.Err() != nil:
		return ctl{kind: ctlEnd, outcome: OutcomeCallerGone}, nil
	}
	return ctl{kind: ctlEnd, outcome: OutcomeAborted}, fmt.Errorf("ivr: %s at %s: %w", verb, at, err)
}

func (r *run) hangup(ctx context.Context) ctl {
	if err := r.s.Hangup(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("ivr hangup failed", "step", r.step.Name, "err", err)
	}
	return ctl{kind: ctlEnd, outcome: OutcomeHangup}
}

func (r *run) exec(ctx context.Context, s Stmt) (ctl, error) {
	r.steps++
	if r.steps > r.in.opt.MaxSteps {
		return ctl{kind: ctlEnd, outcome: OutcomeAborted}, &LimitError{What: "statements", Limit: r.in.opt.MaxSteps, At: s.Position()}
	}
	if ctx.Err() != nil {
		return ctl{kind: ctlEnd, outcome: OutcomeCallerGone}, nil
	}
	switch s := s.(type) {
	case *Answer:
		return r.done(ctx, "answer", s.Pos, r.s.Answer(ctx))
	case *Play:
		return r.done(ctx, "play", s.Pos, r.s.Play(ctx, r.prompt(&s.Prompt)))
	case *Say:
		return r.done(ctx, "say", s.Pos, r.s.Say(ctx, s.As, r.value(s.Value)))
	case *SetVar:
		r.vars[s.Var] = r.value(s.Value)
		return ctl{}, nil
	case *If:
		if r.cond(s.Cond) {
			return r.block(ctx, s.Then)
		}
		return r.block(ctx, s.Else)
	case *When:
		for _, k := range s.Cases {
			if k.Cond == nil || r.cond(k.Cond) {
				return r.block(ctx, k.Body)
			}
		}
		return ctl{}, nil
	case *Menu:
		return r.menu(ctx, s)
	case *Collect:
		return r.collect(ctx, s)
	case *Survey:
		return r.survey(ctx, s)
	case *HTTP:
		return r.http(ctx, s)
	case *Queue:
		return r.queue(ctx, s)
	case *Transfer:
		return r.transfer(ctx, s)
	case *Record:
		return r.record(ctx, s)
	case *Goto:
		f, st := r.resolve(s.Target)
		return ctl{kind: ctlGoto, flow: f, step: st}, nil
	case *Sub:
		return r.sub(ctx, s)
	case *Return:
		return ctl{kind: ctlReturn}, nil
	case *Hangup:
		return r.hangup(ctx), nil
	}
	return ctl{kind: ctlEnd, outcome: OutcomeAborted}, fmt.Errorf("ivr: %s: unknown statement %T", s.Position(), s)
}

// resolve finds a goto or sub target; the checker has made sure it exists.
func (r *run) resolve(t Target) (*Flow, *Step) {
	if t.Flow != "" {
		f, _ := r.set.Flow(t.Flow)
		return f, f.Entry()
	}
	st, _ := r.flow.Step(t.Step)
	return r.flow, st
}

func (r *run) sub(ctx context.Context, s *Sub) (ctl, error) {
	if r.depth >= r.in.opt.MaxDepth {
		return ctl{kind: ctlEnd, outcome: OutcomeAborted}, &LimitError{What: "nested subs", Limit: r.in.opt.MaxDepth, At: s.Pos}
	}
	f, st := r.resolve(s.Target)
	savedFlow, savedStep := r.flow, r.step
	r.depth++
	c, err := r.callStep(ctx, f, st)
	r.depth--
	if err != nil || c.kind == ctlEnd {
		return c, err
	}
	r.flow, r.step = savedFlow, savedStep
	return ctl{}, nil
}

func (r *run) menu(ctx context.Context, m *Menu) (ctl, error) {
	p := r.prompt(&m.Prompt)
	for try := 0; try <= m.Retries; try++ {
		key, err := r.s.CollectDigits(ctx, DigitRequest{Prompt: &p, BargeIn: m.BargeIn, Min: 1, Max: 1, Timeout: m.Timeout, InterDigit: m.Timeout})
		if err != nil {
			return r.done(ctx, "menu", m.Pos, err)
		}
		if key == "" {
			continue
		}
		for _, o := range m.Options {
			if o.Key == key {
				return r.block(ctx, o.Body)
			}
		}
		if m.Invalid != nil {
			if c, err := r.block(ctx, m.Invalid.Body); err != nil || c.kind != ctlNext {
				return c, err
			}
		}
	}
	if m.OnTimeout == nil {
		return ctl{}, nil
	}
	return r.block(ctx, m.OnTimeout.Body)
}

func (r *run) collect(ctx context.Context, c *Collect) (ctl, error) {
	req := DigitRequest{BargeIn: true, Min: c.Min, Max: c.Max, Terminator: c.Terminator, Timeout: c.Timeout, InterDigit: c.InterDigit}
	if c.Prompt != nil {
		p := r.prompt(c.Prompt)
		req.Prompt = &p
	}
	for try := 0; try <= c.Retries; try++ {
		got, err := r.s.CollectDigits(ctx, req)
		if err != nil {
			return r.done(ctx, "collect", c.Pos, err)
		}
		if len(got) >= c.Min && len(got) <= c.Max && onlyKeys(got) {
			r.vars[c.Var] = got
			return ctl{}, nil
		}
	}
	r.vars[c.Var] = ""
	if c.OnTimeout == nil {
		return ctl{}, nil
	}
	return r.block(ctx, c.OnTimeout.Body)
}

func onlyKeys(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789*#", rune(s[i])) {
			return false
		}
	}
	return true
}

func (r *run) survey(ctx context.Context, s *Survey) (ctl, error) {
	p := r.prompt(&s.Prompt)
	res := SurveyResult{Flow: r.flow.Name}
	for try := 0; try <= s.Retries && !res.Answered; try++ {
		key, err := r.s.CollectDigits(ctx, DigitRequest{Prompt: &p, BargeIn: true, Min: 1, Max: 1, Timeout: s.Timeout, InterDigit: s.Timeout})
		if err != nil {
			return r.done(ctx, "survey", s.Pos, err)
		}
		if len(key) == 1 && key[0] >= '0'+byte(s.Low) && key[0] <= '0'+byte(s.High) {
			res.Score, res.Answered = int(key[0]-'0'), true
		}
	}
	r.vars["survey"] = ""
	if res.Answered {
		r.vars["survey"] = strconv.Itoa(res.Score)
	}
	return r.done(ctx, "survey", s.Pos, r.s.Survey(ctx, res))
}

func (r *run) queue(ctx context.Context, q *Queue) (ctl, error) {
	res, err := r.s.Queue(ctx, QueueRequest{Queue: q.Name, Skill: q.Skill, Priority: q.Priority, Timeout: q.Timeout, Vars: maps.Clone(r.vars)})
	if err != nil {
		return r.done(ctx, "queue", q.Pos, err)
	}
	if res.Answered || q.OnTimeout == nil {
		return ctl{}, nil
	}
	return r.block(ctx, q.OnTimeout.Body)
}

func (r *run) transfer(ctx context.Context, t *Transfer) (ctl, error) {
	err := r.s.Transfer(ctx, TransferRequest{External: t.External, Target: r.value(t.Target), Trunk: t.Trunk})
	switch {
	case err == nil:
		return ctl{kind: ctlEnd, outcome: OutcomeTransferred}, nil
	case ctx.Err() != nil:
		return ctl{kind: ctlEnd, outcome: OutcomeCallerGone}, nil
	}
	r.log.Warn("ivr transfer failed", "step", r.step.Name, "line", t.Line, "external", t.External, "err", err)
	if t.OnFail == nil {
		return r.hangup(ctx), nil
	}
	return r.block(ctx, t.OnFail.Body)
}

func (r *run) record(ctx context.Context, rec *Record) (ctl, error) {
	req := RecordRequest{Mailbox: rec.Mailbox, Max: rec.Max, Beep: rec.Beep, Vars: maps.Clone(r.vars)}
	if rec.Prompt != nil {
		p := r.prompt(rec.Prompt)
		req.Prompt = &p
	}
	res, err := r.s.Record(ctx, req)
	if err != nil {
		return r.done(ctx, "record", rec.Pos, err)
	}
	r.vars["recording"] = res.ID
	return ctl{}, nil
}

func (r *run) prompt(p *Prompt) PromptRef {
	if p.TTS != nil {
		return PromptRef{Text: r.text(p.TTS, nil), Voice: p.Voice}
	}
	return PromptRef{File: p.File}
}

func (r *run) value(e Expr) string {
	switch e := e.(type) {
	case *Num:
		return e.Text
	case *Str:
		return r.text(e, nil)
	case *Var:
		return r.vars[e.Name]
	}
	return ""
}

// text fills in a string's ${var} parts, passing each value through escape
// when it is not nil.
func (r *run) text(s *Str, escape func(string) string) string {
	if len(s.Parts) == 1 && s.Parts[0].Var == "" {
		return s.Parts[0].Lit
	}
	var b strings.Builder
	for _, p := range s.Parts {
		if p.Var == "" {
			b.WriteString(p.Lit)
			continue
		}
		v := r.vars[p.Var]
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}
