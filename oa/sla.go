package oa

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// SLA steps: the clocks a ticket runs, one at a time.
const (
	StepSign   = "sign"   // 签收: from dispatch until a handler signs
	StepHandle = "handle" // 办理: from signing until it is resolved (办结)
	StepVisit  = "visit"  // 回访: from resolution until the return visit
)

// SLA states of the running clock.
const (
	SLAOK        = ""
	SLAWarning   = "warning"
	SLABreached  = "breached"
	SLAEscalated = "escalated"
)

// SLAPolicy is a category's limits per step, in business time: "4h",
// "90m", or "2wd" (two workdays: twice the business hours of a working
// day). A step without a limit runs no clock.
type SLAPolicy struct {
	Sign   string `json:"sign,omitempty"`
	Handle string `json:"handle,omitempty"`
	Visit  string `json:"visit,omitempty"`
	// Warn is the share of the limit after which the clock warns (0.8).
	Warn float64 `json:"warn,omitempty"`
	// EscalateAfter a breach (business time, as the limits) the ticket is
	// escalated (督办) on its own; empty: never.
	EscalateAfter string `json:"escalate_after,omitempty"`
}

// Limit returns a step's limit.
func (p SLAPolicy) Limit(step string) string {
	switch step {
	case StepSign:
		return p.Sign
	case StepHandle:
		return p.Handle
	case StepVisit:
		return p.Visit
	}
	return ""
}

// Check validates every limit.
func (p SLAPolicy) Check(h calendar.Hours) FieldErrors {
	bad := FieldErrors{}
	for k, v := range map[string]string{"sla.sign": p.Sign, "sla.handle": p.Handle, "sla.visit": p.Visit, "sla.escalate_after": p.EscalateAfter} {
		if _, err := ParseLimit(v, h); err != nil {
			bad[k] = err.Error()
		}
	}
	if p.Warn < 0 || p.Warn >= 1 {
		bad["sla.warn"] = "a share of the limit, 0 (default 0.8) to below 1"
	}
	return bad
}

// WorkdayLength is the open time of an ordinary working day of h: the
// hours of its first weekday with any (Monday to Friday).
func WorkdayLength(h calendar.Hours) time.Duration {
	// 2024-01-08 is a Monday; no calendar, so no holiday interferes.
	mon := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	for d := 0; d < 5; d++ {
		day := mon.AddDate(0, 0, d)
		if n := calendar.BusinessDuration(day, day.AddDate(0, 0, 1), h, nil); n > 0 {
			return n
		}
	}
	return 0
}

// ParseLimit reads "2wd", "1.5wd", "4h", "90m"; "" is no limit (0).
func ParseLimit(v string, h calendar.Hours) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "wd"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || f <= 0 || f > 365 {
			return 0, fmt.Errorf("%q: want a number of workdays such as 2wd", v)
		}
		return time.Duration(f * float64(WorkdayLength(h))).Round(time.Second), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want business time such as 4h, 90m or 2wd", v)
	}
	return d, nil
}

// Clock is a step's SLA clock.
type Clock struct {
	Step    string
	Started time.Time
	Due     time.Time
	WarnAt  time.Time
}

// StartClock starts step's clock at from under policy, on hours h and
// calendar cal; ok is false when the step has no limit.
func StartClock(step string, from time.Time, p SLAPolicy, h calendar.Hours, cal *calendar.Calendar) (Clock, bool) {
	limit, err := ParseLimit(p.Limit(step), h)
	if err != nil || limit <= 0 {
		return Clock{}, false
	}
	warn := p.Warn
	if warn == 0 {
		warn = 0.8
	}
	return Clock{
		Step: step, Started: from,
		Due:    calendar.AddBusiness(from, limit, h, cal),
		WarnAt: calendar.AddBusiness(from, time.Duration(float64(limit)*warn), h, cal),
	}, true
}

// Remaining is the business time left on a clock at now (paused clocks keep it).
func Remaining(now, due time.Time, h calendar.Hours, cal *calendar.Calendar) time.Duration {
	return calendar.BusinessDuration(now, due, h, cal)
}

// Resume is the new deadline of a clock resumed at now with remaining left.
func Resume(now time.Time, remaining time.Duration, h calendar.Hours, cal *calendar.Calendar) time.Time {
	if remaining <= 0 {
		return now
	}
	return calendar.AddBusiness(now, remaining, h, cal)
}
