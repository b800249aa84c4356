package cti

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti/protocol"
)

// snapshotSource is what wallboard.snapshot reads; *acd.ACD implements it.
// The hub finds it on Deps.Agents, so wiring is unchanged.
type snapshotSource interface {
	Agents(ctx context.Context, tenant string) ([]acd.AgentStatus, error)
	QueueStats(ctx context.Context, tenant string) ([]acd.QueueStats, error)
	Config(ctx context.Context, tenant string) (acd.TenantConfig, error)
}

var _ snapshotSource = (*acd.ACD)(nil)

// snapshot answers wallboard.snapshot with what the principal may follow:
// each agent and queue passes the same check as subscribing to its topic.
// The seq is read before the ACD, so an event raced in between is both in
// the snapshot and replayed after it; agent.state and queue.stats replace
// whole rows, so seeing one twice is harmless.
func (c *conn) snapshot(ctx context.Context, p Principal, req *protocol.SnapshotRequest) (any, error) {
	src, ok := c.hub.deps.Agents.(snapshotSource)
	if !ok {
		return nil, unavailable("the ACD's snapshot")
	}
	snap := protocol.Snapshot{Epoch: c.hub.Epoch(), Seq: c.hub.Seq(p.Tenant), Agents: []protocol.AgentState{},
		Queues: []protocol.QueueStats{}, Reasons: []string{}, ReasonCodes: []protocol.ReasonCode{}}
	stats, err := src.QueueStats(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	for _, s := range stats {
		if len(req.Queues) > 0 && !slices.Contains(req.Queues, s.Queue) {
			continue
		}
		if ok, err := c.mayFollow(ctx, p, protocol.Topic{Kind: protocol.TopicQueue, ID: s.Queue}); err != nil {
			return nil, err
		} else if ok {
			snap.Queues = append(snap.Queues, QueueStatsData(s))
		}
	}
	agents, err := src.Agents(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		ok, err := c.mayFollow(ctx, p, protocol.Topic{Kind: protocol.TopicAgent, ID: a.ID})
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		queues, err := c.hub.deps.Agents.AgentQueues(ctx, p.Tenant, a.ID)
		if err != nil {
			return nil, err
		}
		if len(req.Queues) > 0 && !slices.ContainsFunc(queues, func(q string) bool { return slices.Contains(req.Queues, q) }) {
			continue
		}
		snap.Agents = append(snap.Agents, AgentStateData(acd.AgentStateEvent{Tenant: p.Tenant, Agent: a, Queues: queues}))
	}
	cfg, err := src.Config(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	for _, r := range cfg.ReasonCodes {
		snap.Reasons = append(snap.Reasons, r.Code)
		snap.ReasonCodes = append(snap.ReasonCodes, protocol.ReasonCode{Code: r.Code, MaxS: seconds(r.Max)})
	}
	return snap, nil
}

// offered is every caller who entered the queue today (kpi.md's Offered):
// those with an outcome plus those still waiting or holding a callback.
func offered(s acd.QueueStats) int {
	d := s.Today
	return d.Answered + d.Abandoned + d.Overflowed + d.Callbacks + s.Waiting
}

// aht is the average handle time in whole seconds: (talk + wrap-up) ÷
// handled (kpi.md's AHT; hold is inside the talk time the ACD sees).
func aht(d acd.AgentDay) int {
	if d.Handled == 0 {
		return 0
	}
	return int(math.Round(((d.Talk + d.WrapUp) / time.Duration(d.Handled)).Seconds()))
}

// asa is the average speed of answer in whole seconds.
func asa(d acd.DayCounts) int {
	if d.Answered == 0 {
		return 0
	}
	return int(math.Round((d.AnsweredWait / time.Duration(d.Answered)).Seconds()))
}
