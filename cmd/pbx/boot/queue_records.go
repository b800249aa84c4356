package boot

import (
	"context"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/pbx"
)

// queueRecords shows the ACD's log to the PBX's CDR API.
type queueRecords struct{ log *acd.SQLLog }

var _ pbx.QueueRecords = queueRecords{}

func (r queueRecords) Summaries(ctx context.Context, tenant string, callIDs []string) (map[string]pbx.QueueSummary, error) {
	sums, err := r.log.CallSummaries(ctx, tenant, callIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]pbx.QueueSummary, len(sums))
	for id, s := range sums {
		out[id] = pbx.QueueSummary{Queue: s.Queue, Agent: s.Agent, Outcome: s.Outcome, Wait: s.Wait, ACW: s.ACW, ACWKnown: s.ACWKnown}
	}
	return out, nil
}

func (r queueRecords) QueueCalls(ctx context.Context, tenant, queue string, from, to time.Time, limit int) ([]string, error) {
	return r.log.QueueCalls(ctx, tenant, queue, from, to, limit)
}
