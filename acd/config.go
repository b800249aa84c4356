package acd

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Defaults applied by TenantConfig.normalize when a field is zero.
const (
	DefaultRingTimeout      = 15 * time.Second
	DefaultMaxNoAnswer      = 3
	DefaultReservationGrace = 5 * time.Second
	DefaultSLThreshold      = 20 * time.Second
	DefaultHandleTime       = 3 * time.Minute
	// VIPBoost is added to a VIP caller's priority, so a VIP is answered
	// before every ordinary caller whatever their priority.
	VIPBoost = 1000
)

// TenantConfig is one tenant's agents, queues and rules.
type TenantConfig struct {
	Tenant string
	Agents []AgentConfig
	Queues []QueueConfig
	// ReasonCodes are the not-ready reasons an agent may choose, in the
	// order a bar lists them; empty accepts any reason. The ACD's own
	// reasons (ReasonNoAnswer, ReasonAgentGone) are always accepted.
	ReasonCodes []ReasonCode
	// MaxNoAnswer consecutive unanswered offers set an agent not ready.
	MaxNoAnswer int
	// ReservationGrace is added to the ring timeout before the ACD takes a
	// reservation back on its own, in case the PBX never reports.
	ReservationGrace time.Duration
	// Location decides where "today" starts for the daily counters.
	Location *time.Location
	// OutboundWrapUp is the wrap-up after a direct call the agent placed
	// that was never answered (CallFailed); zero: none.
	OutboundWrapUp time.Duration
}

// AgentConfig describes one agent.
type AgentConfig struct {
	ID       string
	Name     string
	Endpoint string         // the SIP extension the agent's phone registers
	Skills   map[string]int // skill name → level 1..100
	// RingTimeout overrides the queue's ring timeout for this agent.
	RingTimeout time.Duration
}

// QueueConfig describes one queue.
type QueueConfig struct {
	ID       string
	Name     string
	Strategy Strategy
	// Agents are the members in order (sequential rings them in this order).
	// When empty, every agent holding Skill is a member.
	Agents   []string
	Skill    string
	MinLevel int
	// RingTimeout is how long one agent rings before the next is tried.
	RingTimeout time.Duration
	WrapUp      time.Duration // after-call work before the agent is ready again
	// MaxWait sends a caller to Overflow; zero waits for ever.
	MaxWait  time.Duration
	Overflow Target
	// AnnounceEvery tells the PBX to announce position and expected wait.
	AnnounceEvery time.Duration
	// CallbackAfter offers the caller a callback once they have waited this long.
	CallbackAfter time.Duration
	// SLThreshold: calls answered within it count toward the service level.
	SLThreshold time.Duration
	// HandleTime seeds the average handle time used for expected wait.
	HandleTime time.Duration
	// SLAbandons says how callers who hung up while waiting count in the
	// service level (kpi.md); the zero value is AbandonsShort.
	SLAbandons AbandonMethod
	// ShortAbandon is the wait under which an abandon is "short" (not
	// held against the service level with AbandonsShort); zero: the
	// SL threshold.
	ShortAbandon time.Duration
}

// AbandonMethod is how abandoned calls count in the service level.
type AbandonMethod string

// Abandon methods (kpi.md's "ignored, failures, or short abandons excluded").
const (
	// AbandonsShort: an abandon after ShortAbandon is a failure, a
	// shorter one is left out of the service level altogether.
	AbandonsShort AbandonMethod = "short"
	// AbandonsFailures: every abandon is a call not answered in time.
	AbandonsFailures AbandonMethod = "failures"
	// AbandonsIgnored: abandons are left out of the service level.
	AbandonsIgnored AbandonMethod = "ignored"
)

// ParseAbandonMethod reads an abandon method as written in configuration
// (empty: short).
func ParseAbandonMethod(s string) (AbandonMethod, error) {
	switch m := AbandonMethod(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return AbandonsShort, nil
	case AbandonsShort, AbandonsFailures, AbandonsIgnored:
		return m, nil
	}
	return "", fmt.Errorf("acd: abandon method %q: want short, failures or ignored: %w", s, errs.ErrInvalid)
}

// Strategy picks which ready agent(s) a waiting call is offered to.
type Strategy string

// Strategies.
const (
	RingAll     Strategy = "ring-all"     // every eligible ready agent at once; first answer wins
	LongestIdle Strategy = "longest-idle" // the agent ready for longest
	RoundRobin  Strategy = "round-robin"  // the next member after the last one offered
	FewestCalls Strategy = "fewest-calls" // the agent with fewest answered calls today
	Skills      Strategy = "skills"       // the highest level in the call's skill, then longest idle
	Sequential  Strategy = "sequential"   // members in their configured order
)

var strategies = []Strategy{RingAll, LongestIdle, RoundRobin, FewestCalls, Skills, Sequential}

// ParseStrategy reads a strategy name as written in configuration.
func ParseStrategy(s string) (Strategy, error) {
	st := Strategy(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(strategies, st) {
		return st, nil
	}
	return "", fmt.Errorf("acd: unknown strategy %q: %w", s, errs.ErrInvalid)
}

// TargetKind says where an overflowing call goes.
type TargetKind string

// Overflow target kinds.
const (
	TargetQueue     TargetKind = "queue"     // another queue of the tenant (moved by the ACD itself)
	TargetExtension TargetKind = "extension" // ring an extension
	TargetVoicemail TargetKind = "voicemail" // leave a message in a box
	TargetIVR       TargetKind = "ivr"       // run an IVR flow
	TargetHangup    TargetKind = "hangup"    // play the goodbye and hang up
)

// Target is where a call goes on overflow; the PBX acts on every kind but
// TargetQueue.
type Target struct {
	Kind  TargetKind `json:"kind"`
	Value string     `json:"value,omitempty"`
}

// IsZero reports whether no target is set.
func (t Target) IsZero() bool { return t.Kind == "" }

func (t Target) String() string {
	if t.Value == "" {
		return string(t.Kind)
	}
	return string(t.Kind) + ":" + t.Value
}

// ParseTarget reads "kind:value" ("queue:complaints", "voicemail:800",
// "ivr:after_hours", "hangup").
func ParseTarget(s string) (Target, error) {
	kind, value, _ := strings.Cut(strings.TrimSpace(s), ":")
	t := Target{Kind: TargetKind(strings.ToLower(kind)), Value: value}
	switch t.Kind {
	case TargetHangup:
		if value != "" {
			return Target{}, fmt.Errorf("acd: target %q: hangup takes no value: %w", s, errs.ErrInvalid)
		}
		return t, nil
	case TargetQueue, TargetExtension, TargetVoicemail, TargetIVR:
		if !validName(value) {
			return Target{}, fmt.Errorf("acd: target %q: %s needs a name of letters, digits, '-', '_' or '.': %w", s, kind, errs.ErrInvalid)
		}
		return t, nil
	}
	return Target{}, fmt.Errorf("acd: target %q: kind must be queue, extension, voicemail, ivr or hangup: %w", s, errs.ErrInvalid)
}

// validName accepts ids used for agents, queues, endpoints and targets.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '+':
		default:
			return false
		}
	}
	return true
}

// FieldError is a configuration refused for one field; it wraps
// errs.ErrInvalid.
type FieldError struct {
	Tenant string
	Field  string // e.g. "queues[1].strategy", "agents[0].endpoint"
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("acd: tenant %q: %s: %s", e.Tenant, e.Field, e.Reason)
}

func (e *FieldError) Unwrap() error { return errs.ErrInvalid }

// normalize fills defaults and validates; errors name the field.
func (c TenantConfig) normalize() (TenantConfig, error) {
	bad := func(field, why string) (TenantConfig, error) {
		return TenantConfig{}, &FieldError{Tenant: c.Tenant, Field: field, Reason: why}
	}
	if !validName(c.Tenant) {
		return bad("tenant", "must be a name")
	}
	if c.MaxNoAnswer <= 0 {
		c.MaxNoAnswer = DefaultMaxNoAnswer
	}
	if c.ReservationGrace <= 0 {
		c.ReservationGrace = DefaultReservationGrace
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.OutboundWrapUp < 0 {
		return bad("outbound_wrap_up", "negative")
	}
	agents := make(map[string]bool, len(c.Agents))
	out := c
	out.Agents = make([]AgentConfig, len(c.Agents))
	for i, a := range c.Agents {
		f := fmt.Sprintf("agents[%d]", i)
		if !validName(a.ID) {
			return bad(f+".id", "must be a name")
		}
		if agents[a.ID] {
			return bad(f+".id", "duplicate "+a.ID)
		}
		agents[a.ID] = true
		if a.Endpoint != "" && !validName(a.Endpoint) {
			return bad(f+".endpoint", "must be an extension")
		}
		for sk, lvl := range a.Skills {
			if !validName(sk) || lvl < 1 || lvl > 100 {
				return bad(f+".skills", fmt.Sprintf("%q level %d: want a name with level 1..100", sk, lvl))
			}
		}
		if a.RingTimeout < 0 {
			return bad(f+".ring_timeout", "negative")
		}
		out.Agents[i] = a
	}
	queues := make(map[string]bool, len(c.Queues))
	for _, q := range c.Queues {
		queues[q.ID] = true
	}
	seen := make(map[string]bool, len(c.Queues))
	out.Queues = make([]QueueConfig, len(c.Queues))
	for i, q := range c.Queues {
		f := fmt.Sprintf("queues[%d]", i)
		if !validName(q.ID) {
			return bad(f+".id", "must be a name")
		}
		if seen[q.ID] {
			return bad(f+".id", "duplicate "+q.ID)
		}
		seen[q.ID] = true
		if q.Strategy == "" {
			q.Strategy = LongestIdle
		}
		if _, err := ParseStrategy(string(q.Strategy)); err != nil {
			return bad(f+".strategy", err.Error())
		}
		for _, id := range q.Agents {
			if !agents[id] {
				return bad(f+".agents", "unknown agent "+id)
			}
		}
		if q.Skill != "" && !validName(q.Skill) {
			return bad(f+".skill", "must be a name")
		}
		if len(q.Agents) == 0 && q.Skill == "" {
			return bad(f, "needs agents or a skill")
		}
		if q.Strategy == Skills && q.Skill == "" {
			return bad(f+".skill", "the skills strategy needs a skill")
		}
		if q.RingTimeout <= 0 {
			q.RingTimeout = DefaultRingTimeout
		}
		if q.SLThreshold <= 0 {
			q.SLThreshold = DefaultSLThreshold
		}
		if q.HandleTime <= 0 {
			q.HandleTime = DefaultHandleTime
		}
		m, err := ParseAbandonMethod(string(q.SLAbandons))
		if err != nil {
			return bad(f+".sl_abandons", err.Error())
		}
		q.SLAbandons = m
		if q.ShortAbandon < 0 {
			return bad(f+".short_abandon", "negative")
		}
		if q.ShortAbandon == 0 {
			q.ShortAbandon = q.SLThreshold
		}
		if q.WrapUp < 0 || q.MaxWait < 0 || q.AnnounceEvery < 0 || q.CallbackAfter < 0 {
			return bad(f, "durations must not be negative")
		}
		if q.MaxWait > 0 && q.Overflow.IsZero() {
			return bad(f+".overflow", "max_wait needs an overflow target")
		}
		if !q.Overflow.IsZero() {
			if _, err := ParseTarget(q.Overflow.String()); err != nil {
				return bad(f+".overflow", err.Error())
			}
			if q.Overflow.Kind == TargetQueue && (!queues[q.Overflow.Value] || q.Overflow.Value == q.ID) {
				return bad(f+".overflow", "must name another queue of the tenant")
			}
		}
		out.Queues[i] = q
	}
	out.ReasonCodes = slices.Clone(c.ReasonCodes)
	codes := make(map[string]bool, len(c.ReasonCodes))
	for i, r := range c.ReasonCodes {
		f := fmt.Sprintf("reason_codes[%d]", i)
		switch {
		case r.Code == "" || len(r.Code) > MaxReasonLen:
			return bad(f+".code", fmt.Sprintf("must be 1..%d bytes", MaxReasonLen))
		case codes[r.Code]:
			return bad(f+".code", "duplicate "+r.Code)
		case ownReason(r.Code):
			return bad(f+".code", r.Code+" is the ACD's own reason")
		case r.Max < 0:
			return bad(f+".max", "negative")
		}
		codes[r.Code] = true
	}
	return out, nil
}
