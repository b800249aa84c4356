package recorder

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"
)

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func TestSampleIsDeterministicForASeed(t *testing.T) {
	calls := ids("call", 100)
	a := sample(42, "demo", "1002", "2026-03-02", calls, 10)
	if len(a) != 10 {
		t.Fatalf("picked %d of 100 at 10%%, want 10", len(a))
	}
	shuffled := slices.Clone(calls)
	slices.Reverse(shuffled)
	if b := sample(42, "demo", "1002", "2026-03-02", shuffled, 10); !slices.Equal(a, b) {
		t.Errorf("same seed and calls in another order picked %v, then %v", a, b)
	}
	for name, other := range map[string][]string{
		"another seed":  sample(43, "demo", "1002", "2026-03-02", calls, 10),
		"another day":   sample(42, "demo", "1002", "2026-03-03", calls, 10),
		"another agent": sample(42, "demo", "1003", "2026-03-02", calls, 10),
	} {
		if slices.Equal(a, other) {
			t.Errorf("%s picked the same calls", name)
		}
	}
	for _, tc := range []struct {
		n       int
		percent float64
		want    int
	}{{3, 20, 1}, {10, 20, 2}, {11, 20, 3}, {5, 100, 5}, {0, 50, 0}, {7, 0, 0}} {
		if got := len(sample(1, "t", "a", "d", ids("x", tc.n), tc.percent)); got != tc.want {
			t.Errorf("%d calls at %v%%: picked %d, want %d", tc.n, tc.percent, got, tc.want)
		}
	}
	// Over many days every call is about equally likely to be picked.
	hits := map[string]int{}
	for d := range 2000 {
		for _, id := range sample(7, "demo", "1002", fmt.Sprint(d), calls[:20], 25) {
			hits[id]++
		}
	}
	for _, id := range calls[:20] {
		if math.Abs(float64(hits[id])-500) > 120 {
			t.Errorf("%s picked %d times in 2000 days, want about 500", id, hits[id])
		}
	}
}

func TestGenerateTasksAppliesEveryRuleOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	score := func(v int) *int { return &v }
	var agent1002 []string
	for i := range 10 {
		id := fmt.Sprintf("a%02d", i)
		f.putRecording(id, "demo", "1002", day.Add(time.Duration(i)*time.Hour), StateComplete, time.Duration(i)*time.Minute)
		agent1002 = append(agent1002, id)
	}
	for i := range 3 {
		f.putRecording(fmt.Sprintf("b%02d", i), "demo", "1003", day.Add(time.Duration(9+i)*time.Hour), StateComplete, time.Minute)
	}
	f.putRecording("next1", "demo", "1003", day.AddDate(0, 0, 1), StateComplete, time.Hour) // another day
	f.putRecording("live1", "demo", "1003", day.Add(time.Hour), StateRecording, 0)          // not finished
	mustAnnotate := func(id string, a Annotation) {
		if err := f.r.index.annotate(ctx, id, a); err != nil {
			t.Fatal(err)
		}
	}
	yes := true
	mustAnnotate("b01", Annotation{Transferred: &yes})
	mustAnnotate("b02", Annotation{SurveyScore: score(2)})
	mustAnnotate("a03", Annotation{SurveyScore: score(4)})

	rules := map[string]Rule{}
	for _, r := range []Rule{
		{Tenant: "demo", Name: "sample", Kind: RuleSample, Percent: 20, Seed: 42, Enabled: true},
		{Tenant: "demo", Name: "long", Kind: RuleLongCall, MinMinutes: 6, Enabled: true},
		{Tenant: "demo", Name: "unhappy", Kind: RuleSurveyScore, MaxScore: 3, Enabled: true},
		{Tenant: "demo", Name: "transferred", Kind: RuleTransferred, Enabled: true},
		{Tenant: "demo", Name: "off", Kind: RuleTransferred, Enabled: false},
	} {
		got, err := f.r.AddRule(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		rules[r.Name] = got
	}
	if _, err := f.r.AddRule(ctx, Rule{Tenant: "demo", Name: "bad", Kind: RuleSample, Percent: 150}); err == nil {
		t.Error("a 150% sample rule was accepted")
	}

	n, err := f.r.GenerateTasks(ctx, "demo", day.Add(13*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"sample":      append(sample(42, "demo", "1002", "2026-03-02", agent1002, 20), sample(42, "demo", "1003", "2026-03-02", []string{"b00", "b01", "b02"}, 20)...),
		"long":        {"a07", "a08", "a09"},
		"unhappy":     {"b02"},
		"transferred": {"b01"},
	}
	total := 0
	for name, w := range want {
		tasks, err := f.r.Tasks(ctx, TaskFilter{Tenant: "demo", RuleID: rules[name].ID})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, task := range tasks {
			got = append(got, task.RecordingID)
			if task.Day != "2026-03-02" || task.State != TaskOpen {
				t.Errorf("task %+v", task)
			}
		}
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("rule %s: tasks for %v, want %v", name, got, w)
		}
		total += len(w)
	}
	if n != total || len(want["sample"]) != 3 {
		t.Errorf("created %d tasks (sample %d), want %d (sample 3)", n, len(want["sample"]), total)
	}
	if again, err := f.r.GenerateTasks(ctx, "demo", day); err != nil || again != 0 {
		t.Errorf("second run created %d (%v), want 0", again, err)
	}

	// Review: assign and score, then the per-agent summary.
	tasks, _ := f.r.Tasks(ctx, TaskFilter{Tenant: "demo", Agent: "1003"})
	for i, task := range tasks {
		s, st, who := float64(80+10*i), TaskDone, "qa1"
		if _, err := f.r.UpdateTask(ctx, task.ID, TaskUpdate{Assignee: &who, State: &st, Score: &s}); err != nil {
			t.Fatal(err)
		}
	}
	bad := 101.0
	if _, err := f.r.UpdateTask(ctx, tasks[0].ID, TaskUpdate{Score: &bad}); err == nil {
		t.Error("a score of 101 was accepted")
	}
	// A weighted form: 10×100 + 40×50 + 50×80 over 100 = 70; kept on the task.
	form := []Criterion{{"greeting", 10, 100}, {"accuracy", 40, 50}, {"resolution", 50, 80}}
	others, _ := f.r.Tasks(ctx, TaskFilter{Tenant: "demo"})
	var formTask Task
	for _, o := range others {
		if o.Agent != "1003" {
			formTask = o
			break
		}
	}
	got, err := f.r.UpdateTask(ctx, formTask.ID, TaskUpdate{Criteria: form})
	if err != nil || got.Score == nil || *got.Score != 70 || len(got.Criteria) != 3 || got.Criteria[1].Name != "accuracy" {
		t.Errorf("weighted form: %+v %v", got, err)
	}
	for _, badForm := range [][]Criterion{{}, {{"x", 0, 50}}, {{"x", 10, 120}}, {{"", 10, 50}}} {
		if _, err := f.r.UpdateTask(ctx, formTask.ID, TaskUpdate{Criteria: badForm}); err == nil {
			t.Errorf("form %+v accepted", badForm)
		}
	}
	if _, err := f.r.UpdateTask(ctx, formTask.ID, TaskUpdate{Criteria: form, Score: &bad}); err == nil {
		t.Error("criteria and a score together accepted")
	}
	scores, err := f.r.Scores(ctx, ScoreFilter{Tenant: "demo", FromDay: "2026-03-01", ToDay: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	var s1003 AgentScore
	for _, s := range scores {
		if s.Agent == "1003" {
			s1003 = s
		}
	}
	wantAvg := 80 + 10*float64(len(tasks)-1)/2
	if s1003.Tasks != len(tasks) || s1003.Scored != len(tasks) || math.Abs(s1003.Average-wantAvg) > 1e-9 {
		t.Errorf("scores for 1003 = %+v, want %d tasks averaging %v", s1003, len(tasks), wantAvg)
	}
}

// TestQAListsKeepToTheAgentAndQueueAsked: the QA routes authorize an agent
// for its own id and a supervisor or QA for a bound queue, so the tasks and
// scores they list must be that agent's or that queue's only.
func TestQAListsKeepToTheAgentAndQueueAsked(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	q1 := "q1"
	for i, agent := range []string{"1002", "1002", "1003"} {
		id := fmt.Sprintf("r%d", i)
		f.putRecording(id, "demo", agent, day.Add(time.Duration(i)*time.Minute), StateComplete, time.Minute)
		if i == 0 {
			if err := f.r.index.annotate(ctx, id, Annotation{Queue: &q1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := f.r.AddRule(ctx, Rule{Tenant: "demo", Name: "all", Kind: RuleSample, Percent: 100, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.r.GenerateTasks(ctx, "demo", day); err != nil || n != 3 {
		t.Fatalf("generated %d tasks (%v), want 3", n, err)
	}
	tasks := func(tf TaskFilter) []string {
		list, err := f.r.Tasks(ctx, tf)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, task := range list {
			out = append(out, task.RecordingID)
		}
		return out
	}
	if got := tasks(TaskFilter{Tenant: "demo", Agent: "1003"}); !slices.Equal(got, []string{"r2"}) {
		t.Errorf("agent 1003's tasks = %v, want [r2]", got)
	}
	if got := tasks(TaskFilter{Tenant: "demo", Queue: "q1"}); !slices.Equal(got, []string{"r0"}) {
		t.Errorf("queue q1's tasks = %v, want [r0]", got)
	}
	scores := func(sf ScoreFilter) map[string]int {
		list, err := f.r.Scores(ctx, sf)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, s := range list {
			out[s.Agent] = s.Tasks
		}
		return out
	}
	if got := scores(ScoreFilter{Tenant: "demo"}); !maps.Equal(got, map[string]int{"1002": 2, "1003": 1}) {
		t.Errorf("the tenant's scores = %v, want 1002: 2 tasks, 1003: 1", got)
	}
	if got := scores(ScoreFilter{Tenant: "demo", Agent: "1003"}); !maps.Equal(got, map[string]int{"1003": 1}) {
		t.Errorf("agent 1003's scores = %v, want its own only", got)
	}
	if got := scores(ScoreFilter{Tenant: "demo", Queue: "q1"}); !maps.Equal(got, map[string]int{"1002": 1}) {
		t.Errorf("queue q1's scores = %v, want 1002's one task in q1", got)
	}
}
