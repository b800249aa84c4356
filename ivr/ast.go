package ivr

import (
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// Flow is one parsed flow file: named steps, the first of which is the entry.
type Flow struct {
	Name  string // the file name without ".ivr"
	File  string
	Steps []*Step
	index map[string]*Step
}

// Step returns the step called name.
func (f *Flow) Step(name string) (*Step, bool) {
	s, ok := f.index[name]
	return s, ok
}

// Entry is the step a call starts in: the first in the file.
func (f *Flow) Entry() *Step {
	if len(f.Steps) == 0 {
		return nil
	}
	return f.Steps[0]
}

// Step is a labelled block of statements, the target of goto and sub.
type Step struct {
	Pos
	Name string
	Body []Stmt
}

// Stmt is one statement; the concrete types below are the whole set.
type Stmt interface {
	Position() Pos
	stmt()
}

// Answer answers the call (200 OK) so that media can flow.
type Answer struct{ Pos }

// Play plays one prompt to the caller.
type Play struct {
	Pos
	Prompt Prompt
}

// Prompt is a WAV file from the prompt directory or text spoken by TTS.
type Prompt struct {
	Pos
	File  string // a path inside the prompt directory; "" for TTS
	TTS   *Str   // text to synthesize; nil for a file
	Voice string // TTS voice; "" for the engine's default
}

// SayAs is how Say reads its value.
type SayAs uint8

// The ways Say reads a value.
const (
	SayDigits SayAs = iota + 1 // one digit at a time: 1 2 3
	SayNumber                  // as a number: one hundred and twenty-three
)

// Say reads a value out digit by digit or as a number.
type Say struct {
	Pos
	As    SayAs
	Value Expr
}

// Menu plays a prompt and branches on one DTMF key. Each try plays the prompt
// (interrupted by a key when BargeIn) and waits Timeout for a key; a key with
// no option runs Invalid (if any) and tries again; after 1+Retries tries
// without a valid key, OnTimeout runs.
type Menu struct {
	Pos
	Prompt    Prompt
	Timeout   time.Duration
	Retries   int
	BargeIn   bool
	Options   []*Arm // Key is one of 0-9 * #
	Invalid   *Arm   // nil: just try again
	OnTimeout *Arm
}

// Arm is one labelled branch of a statement: a menu key, "timeout",
// "invalid", "fallback" or "failed".
type Arm struct {
	Pos
	Key  string
	Body []Stmt
}

// Collect gathers DTMF digits into a variable: between Min and Max digits,
// ended early by Terminator. After 1+Retries tries without enough digits the
// variable is set to "" and OnTimeout (if any) runs.
type Collect struct {
	Pos
	Var        string
	Prompt     *Prompt
	Min, Max   int
	Terminator string // "" or one of 0-9 * #
	Timeout    time.Duration
	InterDigit time.Duration
	Retries    int
	OnTimeout  *Arm
}

// SetVar assigns a call variable.
type SetVar struct {
	Pos
	Var   string
	Value Expr
}

// If runs Then when Cond holds, else Else (which may be nil).
type If struct {
	Pos
	Cond Cond
	Then []Stmt
	Else []Stmt
}

// When runs the body of the first case whose condition holds; a case with a
// nil Cond is the trailing "else".
type When struct {
	Pos
	Cases []*Case
}

// Case is one branch of When.
type Case struct {
	Pos
	Cond Cond // nil for else
	Body []Stmt
}

// HTTP posts the call's variables (or those in Send) as JSON to URL. The
// reply may set variables, name a step to go to, or carry a fragment of flow
// to run; on any failure Fallback runs.
type HTTP struct {
	Pos
	URL      *Str
	Timeout  time.Duration
	Send     []string // nil: all variables
	Fallback *Arm
}

// Queue puts the caller in an ACD queue. When an agent has taken the call and
// the agent leg ends with the caller still there, the flow continues after
// the statement; if no agent answers within Timeout, OnTimeout runs.
type Queue struct {
	Pos
	Name      string
	Skill     string
	Priority  int
	Timeout   time.Duration // 0: the queue's own limit
	OnTimeout *Arm
}

// Transfer hands the call to an extension or an external number, leaving the
// IVR. If the transfer fails, OnFail runs; without it the call hangs up.
type Transfer struct {
	Pos
	External bool
	Target   Expr
	Trunk    string
	OnFail   *Arm
}

// Record records a message into a mailbox (voicemail); the recording's id is
// stored in $recording.
type Record struct {
	Pos
	Mailbox string
	Prompt  *Prompt
	Max     time.Duration
	Beep    bool
}

// Survey asks for a score from Low to High on one key, stores it on the call
// (and in $survey) or records that there was no answer.
type Survey struct {
	Pos
	Prompt    Prompt
	Low, High int
	Timeout   time.Duration
	Retries   int
}

// Target names a step of this flow, or (Flow set) the entry of another flow.
type Target struct {
	Pos
	Flow string
	Step string
}

// Goto continues at a step.
type Goto struct {
	Pos
	Target Target
}

// Sub runs a step (or another flow) until it returns, then continues here.
type Sub struct {
	Pos
	Target Target
}

// Return ends a sub; with no sub to return to it ends the call.
type Return struct{ Pos }

// Hangup ends the call.
type Hangup struct{ Pos }

func (*Answer) stmt()   {}
func (*Play) stmt()     {}
func (*Say) stmt()      {}
func (*Menu) stmt()     {}
func (*Collect) stmt()  {}
func (*SetVar) stmt()   {}
func (*If) stmt()       {}
func (*When) stmt()     {}
func (*HTTP) stmt()     {}
func (*Queue) stmt()    {}
func (*Transfer) stmt() {}
func (*Record) stmt()   {}
func (*Survey) stmt()   {}
func (*Goto) stmt()     {}
func (*Sub) stmt()      {}
func (*Return) stmt()   {}
func (*Hangup) stmt()   {}

// Expr is a value: a number, a string (possibly with ${var} parts) or a
// variable.
type Expr interface {
	Position() Pos
	expr()
}

// Num is a number literal, kept as written.
type Num struct {
	Pos
	Text string
}

// Str is a string literal; ${name} parts are filled in when it is used.
type Str struct {
	Pos
	Parts []StrPart
}

// StrPart is literal text or (Var set) the value of a variable.
type StrPart struct {
	Lit string
	Var string
}

// Static returns the string's text when it has no ${var} parts.
func (s *Str) Static() (string, bool) {
	for _, p := range s.Parts {
		if p.Var != "" {
			return "", false
		}
	}
	return plainText(s.Parts), true
}

// Var reads a call variable; an unset variable reads as "".
type Var struct {
	Pos
	Name string
}

func (*Num) expr() {}
func (*Str) expr() {}
func (*Var) expr() {}

// Cond is a condition of if and when.
type Cond interface {
	Position() Pos
	cond()
}

// Compare compares two values: as integers when both are integers, else as
// strings.
type Compare struct {
	Pos
	Op          string // == != < <= > >=
	Left, Right Expr
}

// And holds when both sides hold.
type And struct {
	Pos
	Left, Right Cond
}

// Or holds when either side holds.
type Or struct {
	Pos
	Left, Right Cond
}

// Not inverts a condition.
type Not struct {
	Pos
	X Cond
}

// TimeOfDay holds when the local time falls in one of the ranges, in minutes
// since midnight; a range whose end is before its start wraps past midnight.
type TimeOfDay struct {
	Pos
	Ranges [][2]int
}

// Weekday holds on the marked days (indexed by time.Weekday).
type Weekday struct {
	Pos
	Days [7]bool
}

// DateIn holds when the local date falls in one of the inclusive ranges;
// the dates are civil dates at midnight UTC.
type DateIn struct {
	Pos
	Ranges [][2]time.Time
}

// Holiday holds on a declared holiday of the named calendar.
type Holiday struct {
	Pos
	Calendar string
}

// Workday holds on a working day of the named calendar (make-up days
// included, holidays excluded).
type Workday struct {
	Pos
	Calendar string
}

// Open holds when Hours are open now under Calendar (holidays closed,
// make-up days open with weekday hours); Closed inverts it.
type Open struct {
	Pos
	Hours     calendar.Hours
	HoursText string
	Calendar  string // "" for weekdays only
	Closed    bool
}

func (*Compare) cond()   {}
func (*And) cond()       {}
func (*Or) cond()        {}
func (*Not) cond()       {}
func (*TimeOfDay) cond() {}
func (*Weekday) cond()   {}
func (*DateIn) cond()    {}
func (*Holiday) cond()   {}
func (*Workday) cond()   {}
func (*Open) cond()      {}
