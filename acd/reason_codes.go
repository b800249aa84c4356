package acd

import (
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// MaxReasonLen bounds a not-ready reason (bytes).
const MaxReasonLen = 64

// ReasonCode is a not-ready reason an agent may choose (小休, 会议, 培训…).
type ReasonCode struct {
	Code string `json:"code"`
	// Max is how long a break for this reason may last before the ACD
	// alerts the supervisors (AgentOverrunEvent); zero: no limit.
	Max time.Duration `json:"max,omitempty"`
}

// OutcomeOverrun marks the alert record of a break that outlasted its
// reason's maximum.
const OutcomeOverrun = "overrun"

func (s *state) validReason(reason string) error {
	if ownReason(reason) {
		return nil // the ACD's own reasons, whatever the tenant's list
	}
	if len(s.cfg.ReasonCodes) == 0 {
		if len(reason) > MaxReasonLen {
			return fmt.Errorf("acd: reason too long: %w", errs.ErrInvalid)
		}
		return nil
	}
	for _, r := range s.cfg.ReasonCodes {
		if r.Code == reason {
			return nil
		}
	}
	codes := make([]string, len(s.cfg.ReasonCodes))
	for i, r := range s.cfg.ReasonCodes {
		codes[i] = r.Code
	}
	return fmt.Errorf("acd: reason %q is not one of %v: %w", reason, codes, errs.ErrInvalid)
}

// ownReason: a reason the ACD or the PBX gives, never an agent.
func ownReason(r string) bool {
	switch r {
	case ReasonNoAnswer, ReasonAgentGone, ReasonPhoneGone, ReasonRestored, ReasonRemoved:
		return true
	}
	return false
}

// reasonMax is the longest a break for reason may last (zero: no limit).
func (s *state) reasonMax(reason string) time.Duration {
	for _, r := range s.cfg.ReasonCodes {
		if r.Code == reason {
			return r.Max
		}
	}
	return 0
}

// watchBreak arms the overrun alert of an agent who just went not ready:
// it fires when the break outlasts its reason's maximum, unless the agent
// changed state (or reason) first. A restored break that is already over
// its maximum alerts at once.
func (s *state) watchBreak(a *agent) {
	s.stopBreakWatch(a)
	a.overrun, a.reasonMax = false, 0
	if a.state != NotReady {
		return
	}
	limit := s.reasonMax(a.reason)
	if limit <= 0 {
		return
	}
	a.reasonMax = limit
	since := a.since
	a.overStop = s.after(max(0, since.Add(limit).Sub(s.now())), func(s *state) {
		if a.state != NotReady || !a.since.Equal(since) || a.overrun {
			return
		}
		a.overStop = nil
		s.overrun(a)
	})
}

func (s *state) stopBreakWatch(a *agent) {
	if a.overStop != nil {
		a.overStop()
		a.overStop = nil
	}
}

// overrun flags an agent's break as over its maximum: the alert goes to the
// supervisors (the agent's and their queues' subscribers), is logged, and
// the agent's state carries the flag so a wallboard opened later shows it.
func (s *state) overrun(a *agent) {
	now := s.now()
	a.overrun = true
	s.logger.Info("acd: break over its maximum", "agent", a.cfg.ID, "reason", a.reason, "max", a.reasonMax)
	s.record(Record{At: now, Kind: RecordAlert, Agent: a.cfg.ID, State: a.state, Reason: a.reason, Outcome: OutcomeOverrun,
		Wait: now.Sub(a.since)})
	qs := queueIDs(a)
	s.emit(AgentOverrunEvent{Tenant: s.cfg.Tenant, At: now, Agent: a.status(), Queues: qs})
	s.emit(AgentStateEvent{Tenant: s.cfg.Tenant, At: now, Agent: a.status(), Prev: a.state, Queues: qs})
}
