package callevent

import "time"

// Call is a call as the B2BUA saw it when the event happened.
type Call struct {
	ID       string
	Tenant   string
	Caller   string
	Callee   string
	State    string // ringing, answered or ended
	Start    time.Time
	Answered time.Time // zero until answered
	OnHold   bool
	// Connected is the extension bridged on the callee side (the agent).
	Connected string
}

// Ringing reports an extension starting to ring for a call: the first
// provisional answer of the INVITE sent to it, for a new call, a queue's
// offer or a transfer. Ext is the extension that rings.
type Ringing struct {
	Call
	Ext string
}

// Answered reports a call bridged to an answering party: first answered, or
// bridged again to another party after a transfer.
type Answered struct {
	Call
}

// Hold reports a call put on hold (Held) or taken off it.
type Hold struct {
	Call
	Held bool
}

// Ended reports a call's end with its CDR.
type Ended struct {
	Call
	CDR CDR
}

// CDR is what the call detail record says of an ended call, as listeners
// read it; the store keeps more (dialog ids, packet counts).
type CDR struct {
	Caller, Callee   string
	Start, End       time.Time
	Answer           time.Time // zero when never answered
	Ring, Talk, Hold time.Duration
	Disposition      string // answered, busy, no_answer, cancelled, failed, …
	HangupSide       string // caller, callee, system
	HangupCause      string // bye, cancel, media_timeout, max_duration, …
	SIPCode          int
}

// Transfer modes.
const (
	TransferAttended = "attended" // a consultation, or a REFER with Replaces
	TransferBlind    = "blind"
)

// Consultation states a Transfer reports.
const (
	ConsultRinging     = "ringing"     // the target is being rung; the other party is on hold
	ConsultAnswered    = "answered"    // the agent talks with the target
	ConsultFailed      = "failed"      // the target did not answer or was busy; the agent is back
	ConsultCancelled   = "cancelled"   // the agent went back, or the target hung up
	ConsultCompleted   = "completed"   // the other party now talks with the target
	ConsultConferenced = "conferenced" // all three talk
)

// Transfer reports a transfer: an attended one as it goes, a blind one once
// the transferring leg is let go.
type Transfer struct {
	Call
	Mode  string // TransferAttended or TransferBlind
	State string // a Consult* state; ConsultCompleted for a REFER with Replaces and a blind transfer
	From  string // the extension that transferred
	To    string // the extension the call went (or is going) to
	Code  int    // the SIP code when the target failed
}
