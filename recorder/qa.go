package recorder

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// QA rule kinds.
const (
	RuleSample      = "sample"       // Percent % of each agent's calls per day, picked by Seed
	RuleSurveyScore = "survey_score" // every call whose survey score is <= MaxScore
	RuleLongCall    = "long_call"    // every call longer than MinMinutes
	RuleTransferred = "transferred"  // every transferred or escalated call
)

// QA task states.
const (
	TaskOpen     = "open"
	TaskAssigned = "assigned"
	TaskDone     = "done"
)

// Rule turns recordings into QA (质检) tasks.
type Rule struct {
	ID         int64   `json:"id"`
	Tenant     string  `json:"tenant"`
	Name       string  `json:"name"`
	Kind       string  `json:"kind"`
	Percent    float64 `json:"percent,omitempty"`
	Seed       int64   `json:"seed,omitempty"`
	MaxScore   int     `json:"max_score,omitempty"`
	MinMinutes int     `json:"min_minutes,omitempty"`
	Enabled    bool    `json:"enabled"`
}

func (r Rule) validate() error {
	bad := func(msg string) error { return fmt.Errorf("recorder: qa rule: %s: %w", msg, errs.ErrInvalid) }
	switch {
	case !validID(r.Tenant):
		return bad("tenant is required")
	case r.Name == "" || len(r.Name) > 200:
		return bad("name must be 1 to 200 characters")
	}
	switch r.Kind {
	case RuleSample:
		if !(r.Percent > 0 && r.Percent <= 100) {
			return bad("percent must be in (0, 100]")
		}
	case RuleSurveyScore:
		if r.MaxScore < 0 {
			return bad("max_score must not be negative")
		}
	case RuleLongCall:
		if r.MinMinutes < 1 {
			return bad("min_minutes must be at least 1")
		}
	case RuleTransferred:
	default:
		return bad("kind must be sample, survey_score, long_call or transferred")
	}
	return nil
}

// matches reports whether a rule other than sample selects rec.
func (r Rule) matches(rec Recording) bool {
	switch r.Kind {
	case RuleSurveyScore:
		return rec.SurveyScore != nil && *rec.SurveyScore <= r.MaxScore
	case RuleLongCall:
		return rec.Duration > time.Duration(r.MinMinutes)*time.Minute
	case RuleTransferred:
		return rec.Transferred
	}
	return false
}

// Task is one recording picked for review.
type Task struct {
	ID          int64     `json:"id"`
	Tenant      string    `json:"tenant"`
	RuleID      int64     `json:"rule_id"`
	RecordingID string    `json:"recording_id"`
	Agent       string    `json:"agent"`
	Day         string    `json:"day"`
	State       string    `json:"state"`
	Assignee    string    `json:"assignee"`
	Score       *float64  `json:"score"`
	Comment     string    `json:"comment"`
	Created     time.Time `json:"created"`
	// Criteria is the scoring form filled in; Score is their weighted mean.
	Criteria []Criterion `json:"criteria,omitempty"`
}

// Criterion is one line of a weighted QA scoring form (e.g. greeting 10,
// accuracy 40, courtesy 20, resolution 30), scored 0..100.
type Criterion struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	Score  float64 `json:"score"`
}

// TaskUpdate assigns, scores or closes a task; nil fields are unchanged.
type TaskUpdate struct {
	Assignee *string  `json:"assignee"`
	State    *string  `json:"state"`
	Score    *float64 `json:"score"`
	Comment  *string  `json:"comment"`
	// Criteria fills in a weighted scoring form; it sets Score to the
	// weighted mean and may not be sent together with Score.
	Criteria []Criterion `json:"criteria"`
}

// TaskFilter selects tasks; Tenant is required. Days are YYYY-MM-DD.
type TaskFilter struct {
	Tenant, FromDay, ToDay, State, Assignee, Agent string
	// Queue keeps to the tasks whose recording went through that queue.
	Queue  string
	RuleID int64
	Limit  int
}

// ScoreFilter selects the tasks Scores sums: a tenant's, between two days
// (inclusive; "" leaves a side open), of one agent or one queue if set.
type ScoreFilter struct {
	Tenant, FromDay, ToDay, Agent, Queue string
}

// AgentScore sums an agent's reviewed calls over a period.
type AgentScore struct {
	Agent   string  `json:"agent"`
	Tasks   int     `json:"tasks"`
	Scored  int     `json:"scored"`
	Average float64 `json:"average"` // over scored tasks
}

// AddRule stores a rule and returns it with its id.
func (r *Recorder) AddRule(ctx context.Context, rule Rule) (Rule, error) {
	if err := rule.validate(); err != nil {
		return rule, err
	}
	return r.index.insertRule(ctx, rule, r.now())
}

// Rules lists a tenant's rules.
func (r *Recorder) Rules(ctx context.Context, tenant string) ([]Rule, error) {
	return r.index.rules(ctx, tenant)
}

// DeleteRule removes a rule and the tasks it made.
func (r *Recorder) DeleteRule(ctx context.Context, id int64) error {
	return r.index.deleteRule(ctx, id)
}

// dayBounds is the calendar day containing t in loc.
func dayBounds(t time.Time, loc *time.Location) (from, to time.Time) {
	t = t.In(loc)
	from = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// GenerateTasks applies a tenant's enabled rules to the recordings of the
// calendar day containing day and stores the tasks; running it again for
// the same day adds nothing. It returns how many tasks it created.
func (r *Recorder) GenerateTasks(ctx context.Context, tenant string, day time.Time) (int, error) {
	rules, err := r.index.rules(ctx, tenant)
	if err != nil {
		return 0, err
	}
	from, to := dayBounds(day, r.loc)
	dayStr := from.Format(time.DateOnly)
	recs, err := r.index.dayRecordings(ctx, tenant, from, to)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	byAgent := map[string][]string{}
	agentOf := map[string]string{}
	for _, rec := range recs {
		byAgent[rec.Agent] = append(byAgent[rec.Agent], rec.ID)
		agentOf[rec.ID] = rec.Agent
	}
	created := 0
	err = r.index.db.InTx(ctx, func(ctx context.Context) error {
		add := func(rule Rule, id string) error {
			ok, err := r.index.insertTask(ctx, Task{Tenant: tenant, RuleID: rule.ID, RecordingID: id, Agent: agentOf[id], Day: dayStr}, r.now())
			if ok {
				created++
			}
			return err
		}
		for _, rule := range rules {
			if !rule.Enabled {
				continue
			}
			if rule.Kind == RuleSample {
				for _, agent := range slices.Sorted(maps.Keys(byAgent)) {
					for _, id := range sample(rule.Seed, tenant, agent, dayStr, byAgent[agent], rule.Percent) {
						if err := add(rule, id); err != nil {
							return err
						}
					}
				}
				continue
			}
			for _, rec := range recs {
				if rule.matches(rec) {
					if err := add(rule, rec.ID); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return created, err
}

// GenerateAllTasks runs GenerateTasks for every tenant that has rules.
func (r *Recorder) GenerateAllTasks(ctx context.Context, day time.Time) (int, error) {
	tenants, err := r.index.ruleTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		n, err := r.GenerateTasks(ctx, t, day)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Tasks lists tasks, oldest first.
func (r *Recorder) Tasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	if f.Tenant == "" {
		return nil, fmt.Errorf("recorder: tenant is required: %w", errs.ErrInvalid)
	}
	return r.index.tasks(ctx, f)
}

// UpdateTask assigns, scores or closes a task and returns it.
func (r *Recorder) UpdateTask(ctx context.Context, id int64, u TaskUpdate) (Task, error) {
	if u.State != nil && *u.State != TaskOpen && *u.State != TaskAssigned && *u.State != TaskDone {
		return Task{}, fmt.Errorf("recorder: task state %q: %w", *u.State, errs.ErrInvalid)
	}
	if u.Score != nil && (math.IsNaN(*u.Score) || *u.Score < 0 || *u.Score > 100) {
		return Task{}, fmt.Errorf("recorder: score must be 0..100: %w", errs.ErrInvalid)
	}
	if u.Criteria != nil {
		if u.Score != nil {
			return Task{}, fmt.Errorf("recorder: send criteria or a score, not both: %w", errs.ErrInvalid)
		}
		score, err := weightedScore(u.Criteria)
		if err != nil {
			return Task{}, err
		}
		u.Score = &score
	}
	return r.index.updateTask(ctx, id, u)
}

// Scores sums each agent's tasks that f selects.
func (r *Recorder) Scores(ctx context.Context, f ScoreFilter) ([]AgentScore, error) {
	if f.Tenant == "" {
		return nil, fmt.Errorf("recorder: tenant is required: %w", errs.ErrInvalid)
	}
	if f.ToDay == "" {
		f.ToDay = "9999-12-31"
	}
	return r.index.scores(ctx, f)
}

// sample picks ceil(percent % of ids) of one agent's calls on one day. The
// pick depends only on the seed, tenant, agent, day and the set of ids, so
// rerunning it (or auditing it later) gives the same tasks, and each
// agent's pick is independent of the others'.
func sample(seed int64, tenant, agent, day string, ids []string, percent float64) []string {
	if len(ids) == 0 || percent <= 0 {
		return nil
	}
	pool := slices.Clone(ids)
	slices.Sort(pool)
	k := min(len(pool), int(math.Ceil(float64(len(pool))*percent/100-1e-9)))
	sum := gm.SM3([]byte(strconv.FormatInt(seed, 10) + "|" + tenant + "|" + agent + "|" + day))
	rng := rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
	for i := 0; i < k; i++ {
		j := i + rng.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
	}
	out := pool[:k]
	slices.Sort(out)
	return out
}

// weightedScore checks a filled-in form and returns its weighted mean.
func weightedScore(cs []Criterion) (float64, error) {
	if len(cs) == 0 || len(cs) > 50 {
		return 0, fmt.Errorf("recorder: a scoring form has 1 to 50 criteria: %w", errs.ErrInvalid)
	}
	var sum, weights float64
	for _, c := range cs {
		if c.Name == "" || len(c.Name) > 64 {
			return 0, fmt.Errorf("recorder: criterion name must be 1..64 bytes: %w", errs.ErrInvalid)
		}
		if math.IsNaN(c.Weight) || c.Weight <= 0 || c.Weight > 100 || math.IsNaN(c.Score) || c.Score < 0 || c.Score > 100 {
			return 0, fmt.Errorf("recorder: criterion %q: weight must be in (0, 100] and score in [0, 100]: %w", c.Name, errs.ErrInvalid)
		}
		sum += c.Weight * c.Score
		weights += c.Weight
	}
	return math.Round(sum/weights*100) / 100, nil
}
