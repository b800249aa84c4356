package callevent

import "errors"

// MonitorMode is how a supervisor joins an agent's call.
type MonitorMode int

// Listen hears both parties; Whisper is also heard by the agent alone; Barge
// is heard by both parties (a three-way call).
const (
	Listen MonitorMode = iota + 1
	Whisper
	Barge
)

// ErrNoRemoteAnswer: the ringing endpoint refused the "answer now" request
// (NOTIFY Event: talk), so an agent must pick up by hand.
var ErrNoRemoteAnswer = errors.New("the endpoint does not take remote answer (NOTIFY Event: talk)")
