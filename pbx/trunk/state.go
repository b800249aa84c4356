package trunk

import "time"

// State is a trunk's availability.
type State string

// Trunk states: routing uses only trunks that are up.
const (
	StateUp   State = "up"
	StateDown State = "down"
)

// Change is one trunk changing state, told to every Listener.
type Change struct {
	Tenant string
	Trunk  string
	State  State
	Reason string // why: "registered", "options timeout", "register 403" …
	At     time.Time
}

// Listener hears every trunk state change (metrics are kept here; the
// CTI hub and the audit log listen through the process wiring).
type Listener func(Change)

// Status is a trunk's state as the admin API shows it.
type Status struct {
	Tenant      string    `json:"tenant"`
	Name        string    `json:"name"`
	Auth        string    `json:"auth"`
	Proxy       string    `json:"proxy"`
	State       State     `json:"state"`
	Since       time.Time `json:"since"`
	Reason      string    `json:"reason"`
	Registered  bool      `json:"registered"`
	RegExpires  time.Time `json:"registration_expires,omitzero"`
	ActiveCalls int       `json:"active_calls"`
	MaxCalls    int       `json:"max_calls"`
}

// status snapshots t.
func (t *Trunk) status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Status{Tenant: t.tenant, Name: t.cfg.Name, Auth: t.cfg.Auth, Proxy: t.cfg.Proxy, State: t.state, Since: t.since,
		Reason: t.reason, Registered: t.registered, RegExpires: t.regExpiry, ActiveCalls: t.active, MaxCalls: t.cfg.MaxCalls}
}

// settleLocked works out the state from what the carrier last said and
// returns the change, if any. Called with t.mu held.
func (t *Trunk) settleLocked(now time.Time, reason string) (Change, bool) {
	want := StateDown
	if t.optionsOK && (t.cfg.Auth != "register" || t.registered) {
		want = StateUp
	}
	if want == t.state {
		return Change{}, false
	}
	t.state, t.since, t.reason = want, now, reason
	return Change{Tenant: t.tenant, Trunk: t.cfg.Name, State: want, Reason: reason, At: now}, true
}
