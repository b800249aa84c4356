package report

import (
	"context"
	"time"

	"github.com/yimen/yimen/cti/protocol"
)

// Record applies one CTI event to the facts. The OA calls it inside the
// transaction that applies the event and moves its cursor, so an event
// is recorded once; every write here is also idempotent, so a replay from
// another source (the reconcile job) changes nothing.
func (s *Service) Record(ctx context.Context, tenant string, env protocol.Envelope, at time.Time) error {
	switch env.Type {
	case protocol.EventCallEnded:
		var d protocol.CallEnded
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return s.skip(env, err)
		}
		return s.UpsertCall(ctx, tenant, callFromEnded(d, at))
	case protocol.EventAgentState:
		var d protocol.AgentState
		if err := env.Decode(&d); err != nil || d.Agent == "" || d.State == "" {
			return s.skip(env, err)
		}
		return s.agentState(ctx, tenant, d, parseTime(d.Since, at))
	case protocol.EventCallSurvey:
		var d protocol.CallSurvey
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return s.skip(env, err)
		}
		return s.callUpdate(ctx, tenant, d.Call, at, `survey_score=?`, d.Score)
	case protocol.EventCallTransferred:
		var d protocol.CallTransferred
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return s.skip(env, err)
		}
		// The path grows by each hop once: a replayed event finds its hop there.
		hop := d.Agent + "→" + d.To
		return s.callUpdate(ctx, tenant, d.Call, at, `transfer_path=CASE WHEN instr(transfer_path, ?)>0 THEN transfer_path
			WHEN transfer_path='' THEN ? ELSE transfer_path || ' ' || ? END`, hop, hop, hop)
	case protocol.EventCallOverflowed:
		var d protocol.CallOverflowed
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return s.skip(env, err)
		}
		return s.callUpdate(ctx, tenant, d.Call, at, `overflowed=1`)
	case protocol.EventRecordingReady:
		var d protocol.RecordingReady
		if err := env.Decode(&d); err != nil || d.Call == "" {
			return s.skip(env, err)
		}
		return s.callUpdate(ctx, tenant, d.Call, at, `recording_url=?`, d.URL)
	}
	return nil
}

func (s *Service) skip(env protocol.Envelope, err error) error {
	s.log.Warn("cti event not usable for reports; skipped", "type", env.Type, "seq", env.Seq, "err", err)
	return nil
}

// callUpdate sets fields of a call's row (making it if the call has not
// ended yet) and recomputes its interval.
func (s *Service) callUpdate(ctx context.Context, tenant, call string, at time.Time, set string, args ...any) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.ensureCall(ctx, tenant, call, at); err != nil {
			return err
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE rpt_calls SET `+set+` WHERE tenant=? AND call_id=?`, append(args, tenant, call)...); err != nil {
			return err
		}
		iv, agent, _, err := s.callInterval(ctx, tenant, call)
		if err != nil {
			return err
		}
		return s.recomputeCalls(ctx, tenant, iv, agent)
	})
}
