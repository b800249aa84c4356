package boot

import (
	"context"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/contactcenter"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/b2bua"
)

// queueRecords shows the ACD's log to the PBX's CDR API: each call's
// queue, agent, wait and wrap-up.
type queueRecords struct{ Log *acd.SQLLog }

var (
	_ pbx.QueueRecords    = queueRecords{}
	_ contactcenter.Calls = (*b2bua.Manager)(nil)
)

// Summaries implements pbx.QueueRecords.
func (r queueRecords) Summaries(ctx context.Context, tenant string, callIDs []string) (map[string]pbx.QueueSummary, error) {
	sums, err := r.Log.CallSummaries(ctx, tenant, callIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]pbx.QueueSummary, len(sums))
	for id, s := range sums {
		out[id] = pbx.QueueSummary{Queue: s.Queue, Agent: s.Agent, Outcome: s.Outcome, Wait: s.Wait, ACW: s.ACW, ACWKnown: s.ACWKnown}
	}
	return out, nil
}

// QueueCalls implements pbx.QueueRecords.
func (r queueRecords) QueueCalls(ctx context.Context, tenant, queue string, from, to time.Time, limit int) ([]string, error) {
	return r.Log.QueueCalls(ctx, tenant, queue, from, to, limit)
}
