package acd

import "time"

// State is an agent's telephony state.
type State string

// Agent states.
const (
	LoggedOut State = "logged_out"
	Ready     State = "ready"
	NotReady  State = "not_ready"
	Reserved  State = "reserved" // a call is ringing the agent's endpoint
	OnCall    State = "on_call"
	WrapUp    State = "wrap_up" // after-call work
)

// ParseState reads a state name (for supervisor commands).
func ParseState(s string) (State, bool) {
	switch st := State(s); st {
	case LoggedOut, Ready, NotReady, Reserved, OnCall, WrapUp:
		return st, true
	}
	return "", false
}

// Reasons the ACD itself gives for a not-ready state.
const (
	ReasonNoAnswer = "no_answer" // MaxNoAnswer offers in a row went unanswered
	ReasonRestored = "restored"  // set back to ready after a restart
	ReasonRemoved  = "removed"   // taken out of the configuration (after their call)
	// ReasonAgentGone: the agent's browser went away mid-shift and was not
	// re-opened within webrtc.reattach_timeout.
	ReasonAgentGone = "agent_gone"
	// ReasonPhoneGone: the last registration of the agent's desk phone
	// ended (expired or removed) while they were logged in.
	ReasonPhoneGone = "phone_gone"
)

// Reasons the ACD gives for an on_call state it did not route.
const (
	// ReasonDirect: a call the agent placed (call.dial), AgentBusy.
	ReasonDirect = "direct"
	// ReasonExtension: a call that reached the agent's extension without
	// a queue (dialled, transferred to it, dialled on the phone itself),
	// AgentOnExtensionCall.
	ReasonExtension = "extension"
)

// AgentStatus is a snapshot of one agent.
type AgentStatus struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Endpoint string    `json:"endpoint"`
	State    State     `json:"state"`
	Reason   string    `json:"reason,omitempty"`
	Since    time.Time `json:"since"`
	Call     string    `json:"call,omitempty"`  // reserved, on call or in wrap-up for this call
	Queue    string    `json:"queue,omitempty"` // the call's queue
	// Pending is the state the agent asked for while on a call; it applies
	// when the call (and its wrap-up) ends.
	Pending       State `json:"pending,omitempty"`
	AnsweredToday int   `json:"answered_today"`
	NoAnswer      int   `json:"no_answer"` // consecutive unanswered offers
	// Today is the agent's work since the tenant's local midnight; AHT is
	// (Talk + WrapUp) ÷ Handled.
	Today AgentDay `json:"today"`
	// ReasonMax is the break's limit for the reason (not ready only;
	// zero: none); Overrun is set once the break outlasted it.
	ReasonMax time.Duration `json:"reason_max,omitempty"`
	Overrun   bool          `json:"overrun,omitempty"`
	// WrapUpUntil is when wrap-up ends by itself (zero in other states), so
	// an agent bar can count it down.
	WrapUpUntil time.Time `json:"wrap_up_until,omitzero"`
}

// agent is the actor-owned runtime state of one agent.
type agent struct {
	cfg       AgentConfig
	state     State
	reason    string
	since     time.Time
	idleSince time.Time // when the agent last became free; longest-idle orders by it
	call      *qcall    // the call reserved, on call or in wrap-up
	callID    string
	queue     *queue
	ring      *reservation
	noAnswer  int
	answered  int
	today     AgentDay
	day       int // yyyymmdd that answered and today count
	pending   State
	pendReas  string
	prevState State // for direct calls: where to return afterwards
	prevReas  string
	wrapStop  func() bool
	wrapFor   time.Duration // the running wrap-up's length
	wrapToken *int          // identity of the running wrap-up timer
	queues    []*queue
	removed   bool // taken out of the configuration; goes when free
	// The break's limit and its alert (reason_codes.go).
	reasonMax time.Duration
	overrun   bool
	overStop  func() bool
}

func (a *agent) status() AgentStatus {
	st := AgentStatus{ID: a.cfg.ID, Name: a.cfg.Name, Endpoint: a.cfg.Endpoint, State: a.state, Reason: a.reason,
		Since: a.since, Call: a.callID, Pending: a.pending, AnsweredToday: a.answered, NoAnswer: a.noAnswer,
		Today: a.today, ReasonMax: a.reasonMax, Overrun: a.overrun}
	if a.queue != nil {
		st.Queue = a.queue.cfg.ID
	}
	if a.state == WrapUp && a.wrapFor > 0 {
		st.WrapUpUntil = a.since.Add(a.wrapFor)
	}
	return st
}

func (a *agent) loggedIn() bool { return a.state != LoggedOut }
