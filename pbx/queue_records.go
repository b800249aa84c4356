package pbx

import (
	"context"
	"time"
)

// QueueSummary is what the ACD knows about a call that went through a queue.
type QueueSummary struct {
	Queue, Agent, Outcome string
	Wait                  time.Duration
	ACW                   time.Duration
	ACWKnown              bool // false while the agent is still in after-call work
}

// QueueRecords is the ACD's per-call record as the CDR API needs it; the
// process wiring adapts the ACD's log to it.
type QueueRecords interface {
	// Summaries returns the summaries of the calls that went through a queue.
	Summaries(ctx context.Context, tenant string, callIDs []string) (map[string]QueueSummary, error)
	// QueueCalls lists, newest first, the calls whose last queue was queue.
	QueueCalls(ctx context.Context, tenant, queue string, from, to time.Time, limit int) ([]string, error)
}

// SetQueueRecords lets the CDR API show each call's queue, agent, wait and
// after-call work, and filter CDRs by queue.
func (s *Server) SetQueueRecords(r QueueRecords) { s.queueRecs.Store(&r) }

// QueueRecords is what SetQueueRecords was given, or nil.
func (s *Server) QueueRecords() QueueRecords {
	if p := s.queueRecs.Load(); p != nil {
		return *p
	}
	return nil
}
