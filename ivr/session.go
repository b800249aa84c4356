package ivr

import (
	"context"
	"net/http"
	"time"
)

// Session is the live call an Interpreter drives; the PBX media layer
// implements it. When the caller hangs up, the runtime cancels the context
// it passed to Run, and every method returns promptly with an error.
type Session interface {
	// Answer answers the call so that media flows.
	Answer(ctx context.Context) error
	// Play plays a prompt to the end. Keys pressed meanwhile are discarded.
	Play(ctx context.Context, p PromptRef) error
	// Say reads a value out as digits or as a number.
	Say(ctx context.Context, as SayAs, value string) error
	// CollectDigits optionally plays a prompt, then gathers DTMF (RFC 4733
	// or SIP INFO). It returns the keys pressed without the terminator, or
	// "" if the caller pressed nothing in time.
	CollectDigits(ctx context.Context, req DigitRequest) (string, error)
	// Queue hands the caller to the ACD and returns when the agent leg has
	// ended (Answered) or no agent took the call.
	Queue(ctx context.Context, req QueueRequest) (QueueResult, error)
	// Transfer moves the call out of the IVR; nil means it is gone.
	Transfer(ctx context.Context, req TransferRequest) error
	// Record records a message into a mailbox and raises the CTI event that
	// lets the OA open a ticket for it.
	Record(ctx context.Context, req RecordRequest) (RecordResult, error)
	// Survey stores a satisfaction score (or its absence) on the CDR and
	// sends it as a CTI event.
	Survey(ctx context.Context, res SurveyResult) error
	// Hangup ends the call.
	Hangup(ctx context.Context) error
}

// Doer sends HTTP requests; *http.Client is one.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// PromptRef is what to play: a file of the prompt directory, or text for
// the TTS engine.
type PromptRef struct {
	File  string
	Text  string
	Voice string
}

// DigitRequest asks the caller for keys.
type DigitRequest struct {
	Prompt     *PromptRef // played first; nil plays nothing
	BargeIn    bool       // a key stops the prompt and counts as input
	Min, Max   int
	Terminator string        // "" or one key that ends input early
	Timeout    time.Duration // for the first key, from the end of the prompt
	InterDigit time.Duration // between keys
}

// QueueRequest places the caller in a queue. Vars carry the call's variables
// for the agent's screen pop.
type QueueRequest struct {
	Queue    string
	Skill    string
	Priority int
	Timeout  time.Duration // 0: the queue's own limit
	Vars     map[string]string
}

// QueueResult says whether an agent took the call.
type QueueResult struct {
	Answered bool
}

// TransferRequest names where the call goes.
type TransferRequest struct {
	External bool
	Target   string
	Trunk    string
}

// RecordRequest describes a message to record.
type RecordRequest struct {
	Mailbox string
	Prompt  *PromptRef
	Max     time.Duration
	Beep    bool
	Vars    map[string]string
}

// RecordResult identifies the recording made.
type RecordResult struct {
	ID       string
	Duration time.Duration
}

// SurveyResult is one survey answer; Answered false means no score was given.
type SurveyResult struct {
	Flow     string
	Score    int
	Answered bool
}
