package acd

import (
	"context"
	"time"
)

// Log is where the ACD appends its state changes. Append is called from the
// actor goroutine and must not block (queue and write in the background).
type Log interface {
	Append(r Record)
	// Restore reads what a restarting tenant needs: each agent's last state
	// and today's counters (records at or after dayStart).
	Restore(ctx context.Context, tenant string, dayStart time.Time) (Restored, error)
}

// RecordKind separates agent state changes from call outcomes.
type RecordKind string

// Record kinds.
const (
	RecordAgent RecordKind = "agent"
	RecordCall  RecordKind = "call"
	// RecordAlert: something supervisors were alerted to (Outcome says
	// what: OutcomeOverrun, a break over its reason's maximum; Wait is how
	// long the break had lasted).
	RecordAlert RecordKind = "alert"
	// RecordSurvey: a post-call survey after a queue call (Outcome
	// OutcomeSurvey; InSL: answered; Score), kept apart from the call's
	// own records so a call's outcome stays the queue's.
	RecordSurvey RecordKind = "survey"
)

// Call outcomes in the log.
const (
	OutcomeAnswered         = "answered"
	OutcomeAbandoned        = "abandoned"
	OutcomeOverflow         = "overflow"
	OutcomeCallback         = "callback"          // the caller accepted a callback
	OutcomeCallbackAnswered = "callback_answered" // an agent took the callback request
)

// Record is one row of the ACD's log. Caller numbers are never logged.
type Record struct {
	Tenant  string
	At      time.Time
	Kind    RecordKind
	Agent   string
	Queue   string
	Call    string
	State   State  // agent records
	Reason  string // agent records
	Outcome string // call records
	Wait    time.Duration
	InSL    bool // answered within the queue's SL threshold; a short abandon; a survey answered
	Score   int  // survey records: the score given
}

// Restored is a tenant's state read back from the log.
type Restored struct {
	Agents        []RestoredAgent
	Queues        map[string]DayCounts
	AgentAnswered map[string]int // calls answered today per agent
	AgentDay      map[string]AgentDay
}

// AgentDay is an agent's work today, read back from their state changes.
type AgentDay struct {
	Handled int           // calls finished (queue and direct)
	Talk    time.Duration // on those calls, hold included
	WrapUp  time.Duration // after-call work
	Surveys Surveys       // after the queue calls they answered
}

// RestoredAgent is an agent's last logged state.
type RestoredAgent struct {
	ID     string
	State  State
	Reason string
	At     time.Time
}
