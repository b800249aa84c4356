package audit

import "time"

// Outcomes used in Entry.Outcome.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
	OutcomeAlarm  = "alarm"
)

// Entry is one audited event. ID, Time (when zero) and the chain fields are
// set by Log.Append; callers fill in who did what to which thing.
type Entry struct {
	ID      int64
	Time    time.Time
	Tenant  string
	Actor   string // user or token subject; "system" for the process itself
	Action  string // dotted verb, e.g. "auth.login", "rbac.grant", "recording.read"
	Target  string // what was acted on, e.g. a user id or "recording/123"
	Outcome string // OutcomeOK, OutcomeDenied, OutcomeFailed, OutcomeAlarm
	Source  string // client address, when there is one
	Detail  string // short free text; never a full phone number or a secret
}
