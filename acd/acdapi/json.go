package acdapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/yimen/yimen/acd"
)

// agentJSON and queueJSON carry durations as Go duration strings ("15s"),
// as the YAML configuration does.
type agentJSON struct {
	ID          string         `json:"id,omitempty"`
	Name        string         `json:"name"`
	Extension   string         `json:"extension"`
	Skills      map[string]int `json:"skills,omitempty"`
	RingTimeout string         `json:"ring_timeout,omitempty"`
}

type queueJSON struct {
	ID            string   `json:"id,omitempty"`
	Name          string   `json:"name,omitempty"`
	Strategy      string   `json:"strategy,omitempty"`
	Agents        []string `json:"agents,omitempty"`
	Skill         string   `json:"skill,omitempty"`
	MinLevel      int      `json:"min_level,omitempty"`
	RingTimeout   string   `json:"ring_timeout,omitempty"`
	WrapUp        string   `json:"wrap_up,omitempty"`
	MaxWait       string   `json:"max_wait,omitempty"`
	Overflow      string   `json:"overflow,omitempty"`
	AnnounceEvery string   `json:"announce_every,omitempty"`
	CallbackAfter string   `json:"callback_after,omitempty"`
	SLThreshold   string   `json:"sl_threshold,omitempty"`
}

func toAgentJSON(a acd.AgentConfig) agentJSON {
	return agentJSON{ID: a.ID, Name: a.Name, Extension: a.Endpoint, Skills: a.Skills, RingTimeout: formatDuration(a.RingTimeout)}
}

func toQueueJSON(q acd.QueueConfig) queueJSON {
	j := queueJSON{ID: q.ID, Name: q.Name, Strategy: string(q.Strategy), Agents: q.Agents, Skill: q.Skill, MinLevel: q.MinLevel,
		RingTimeout: formatDuration(q.RingTimeout), WrapUp: formatDuration(q.WrapUp), MaxWait: formatDuration(q.MaxWait),
		AnnounceEvery: formatDuration(q.AnnounceEvery), CallbackAfter: formatDuration(q.CallbackAfter),
		SLThreshold: formatDuration(q.SLThreshold)}
	if !q.Overflow.IsZero() {
		j.Overflow = q.Overflow.String()
	}
	return j
}

// queueOf reads a queue from its JSON: durations first, then the strategy
// and the overflow target, each refusal naming its field.
func queueOf(id string, b queueJSON) (acd.QueueConfig, error) {
	q := acd.QueueConfig{ID: id, Name: b.Name, Agents: b.Agents, Skill: b.Skill, MinLevel: b.MinLevel}
	for _, d := range []struct {
		field string
		in    string
		out   *time.Duration
	}{
		{"ring_timeout", b.RingTimeout, &q.RingTimeout}, {"wrap_up", b.WrapUp, &q.WrapUp}, {"max_wait", b.MaxWait, &q.MaxWait},
		{"announce_every", b.AnnounceEvery, &q.AnnounceEvery}, {"callback_after", b.CallbackAfter, &q.CallbackAfter},
		{"sl_threshold", b.SLThreshold, &q.SLThreshold},
	} {
		v, err := parseDuration(d.field, d.in)
		if err != nil {
			return acd.QueueConfig{}, err
		}
		*d.out = v
	}
	if b.Strategy != "" {
		st, err := acd.ParseStrategy(b.Strategy)
		if err != nil {
			return acd.QueueConfig{}, &FieldError{Field: "strategy", Reason: fmt.Sprintf("unknown strategy %q", b.Strategy)}
		}
		q.Strategy = st
	}
	if b.Overflow != "" {
		t, err := acd.ParseTarget(b.Overflow)
		if err != nil {
			return acd.QueueConfig{}, &FieldError{Field: "overflow", Reason: strings.TrimPrefix(err.Error(), "acd: ")}
		}
		q.Overflow = t
	}
	return q, nil
}

func parseDuration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, &FieldError{field, fmt.Sprintf("%q is not a duration such as \"15s\" or \"2m\"", v)}
	}
	return d, nil
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
