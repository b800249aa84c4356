package acd

import (
	"context"
	"fmt"

	"github.com/yimen/yimen/internal/errs"
)

// OutcomeSurvey marks a call record of a post-call survey: InSL says the
// caller answered it, Score is the answer.
const OutcomeSurvey = "survey"

// Surveys are a day's post-call satisfaction answers (kpi.md's
// Satisfaction: the mean score and the response rate).
type Surveys struct {
	Asked    int `json:"asked"`    // the question was put to the caller
	Answered int `json:"answered"` // the caller gave a score
	ScoreSum int `json:"score_sum"`
}

// Mean is the mean score; ok is false before the first answer.
func (v Surveys) Mean() (mean float64, ok bool) {
	if v.Answered == 0 {
		return 0, false
	}
	return float64(v.ScoreSum) / float64(v.Answered), true
}

func (v *Surveys) add(answered bool, score int) {
	v.Asked++
	if answered {
		v.Answered++
		v.ScoreSum += score
	}
}

// answeredCall is a queue call answered today: who took it, from which
// queue, so a survey after it is counted for both.
type answeredCall struct {
	agent *agent
	queue *queue
}

// Survey reports the satisfaction question asked after a queue call answered
// today (the IVR's survey step, usually after 转满意度): the score counts
// toward the agent's and the queue's satisfaction today. A call the ACD did
// not put through today is ErrNotFound; a second answer for the same call
// replaces nothing (ErrConflict).
func (a *ACD) Survey(ctx context.Context, tenant, callID string, answered bool, score int) error {
	return a.do(ctx, tenant, func(s *state) error { return s.survey(callID, answered, score) })
}

func (s *state) survey(callID string, answered bool, score int) error {
	now := s.now()
	s.rollDay(now)
	c, ok := s.answeredToday[callID]
	if !ok {
		return fmt.Errorf("acd: call %s was not answered through a queue today: %w", callID, errs.ErrNotFound)
	}
	if c.agent == nil {
		return fmt.Errorf("acd: call %s was already surveyed: %w", callID, errs.ErrConflict)
	}
	c.agent.today.Surveys.add(answered, score)
	c.queue.today.Surveys.add(answered, score)
	c.queue.dirty = true
	if !answered {
		score = 0
	}
	s.record(Record{At: now, Kind: RecordSurvey, Agent: c.agent.cfg.ID, Queue: c.queue.cfg.ID, Call: callID, Outcome: OutcomeSurvey,
		InSL: answered, Score: score})
	s.answeredToday[callID] = answeredCall{} // one survey per call
	s.emit(AgentStateEvent{Tenant: s.cfg.Tenant, At: now, Agent: c.agent.status(), Prev: c.agent.state, Queues: queueIDs(c.agent)})
	return nil
}
