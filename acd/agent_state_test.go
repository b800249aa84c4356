package acd_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

var breakReasons = []acd.ReasonCode{{Code: "小休", Max: 15 * time.Minute}, {Code: "会议"}}

// overruns returns the agents of the overrun alerts since the last look.
func (h *harness) overruns() []acd.AgentStatus {
	h.sync()
	var out []acd.AgentStatus
	for _, e := range h.sink.Take() {
		if o, ok := e.(acd.AgentOverrunEvent); ok {
			out = append(out, o.Agent)
		}
	}
	return out
}

func TestBreakOverItsMaximumAlertsOnce(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), ReasonCodes: breakReasons,
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.login("a1")
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "小休"))
	if st := h.agent("a1"); st.ReasonMax != 15*time.Minute || st.Overrun {
		t.Fatalf("on a break: %+v, want its 15 min maximum and no overrun yet", st)
	}
	h.advance(15*time.Minute - time.Second)
	if o := h.overruns(); len(o) != 0 {
		t.Fatalf("alert before the maximum: %+v", o)
	}
	h.advance(time.Second)
	o := h.overruns()
	if len(o) != 1 || o[0].ID != "a1" || o[0].Reason != "小休" || !o[0].Overrun || !o[0].Since.Equal(t0) {
		t.Fatalf("alerts at the maximum: %+v, want one for a1's break since %v", o, t0)
	}
	if st := h.agent("a1"); !st.Overrun {
		t.Fatalf("the agent's state does not carry the overrun: %+v", st)
	}
	h.advance(time.Hour)
	if o := h.overruns(); len(o) != 0 {
		t.Fatalf("alerted again: %+v", o)
	}
	h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
	if st := h.agent("a1"); st.Overrun || st.ReasonMax != 0 {
		t.Fatalf("ready keeps the overrun: %+v", st)
	}
}

func TestBreakAlertFollowsTheCurrentBreak(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), ReasonCodes: breakReasons,
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.login("a1")
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "小休"))
	h.advance(10 * time.Minute)
	// Changing the reason starts a break without a limit: no alert.
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "会议"))
	h.advance(2 * time.Hour)
	if o := h.overruns(); len(o) != 0 {
		t.Fatalf("a meeting has no maximum, alerts: %+v", o)
	}
	// Back on a break: its own 15 minutes count from now.
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "小休"))
	h.advance(10 * time.Minute)
	h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "小休"))
	h.advance(10 * time.Minute)
	if o := h.overruns(); len(o) != 0 {
		t.Fatalf("two 10-minute breaks alerted: %+v", o)
	}
	h.advance(5 * time.Minute)
	if o := h.overruns(); len(o) != 1 {
		t.Fatalf("alerts = %+v, want one 15 minutes into the second break", o)
	}
	if err := h.acd.NotReady(h.ctx, h.tenant, "a1", "抽烟"); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("a reason not configured: %v, want ErrInvalid", err)
	}
	// The PBX's own reasons pass whatever the list says.
	h.must(h.acd.ForceState(h.ctx, h.tenant, "a1", acd.NotReady, acd.ReasonPhoneGone))
}

func TestReasonCodesValidated(t *testing.T) {
	a, err := acd.New(acd.Deps{Dialer: &acdtest.Dialer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, tc := range []struct {
		codes []acd.ReasonCode
		field string
	}{
		{[]acd.ReasonCode{{Code: ""}}, "reason_codes[0].code"},
		{[]acd.ReasonCode{{Code: "小休"}, {Code: "小休"}}, "reason_codes[1].code"},
		{[]acd.ReasonCode{{Code: "no_answer"}}, "reason_codes[0].code"},
		{[]acd.ReasonCode{{Code: "会议", Max: -time.Second}}, "reason_codes[0].max"},
	} {
		err := a.AddTenant(context.Background(), acd.TenantConfig{Tenant: "t", Agents: agents(1), ReasonCodes: tc.codes})
		var fe *acd.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%+v: %v, want a field error on %s", tc.codes, err, tc.field)
		}
	}
}

// TestAgentDayFigures: two queue calls and one placed call, counted by hand.
// Call 1: 60 s talk, its 30 s wrap-up runs out. Call 2: 30 s talk, wrap-up
// ended after 10 s. Placed call: 20 s. Handled 3, talk 110 s, wrap-up 40 s,
// AHT (110+40)/3 = 50 s.
func TestAgentDayFigures(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1), WrapUp: 30 * time.Second}}}, nil)
	h.login("a1")
	h.enqueue("q", "c1")
	h.talk("c1", "a1", time.Minute)
	h.advance(30 * time.Second)
	h.wantState("a1", acd.Ready)
	h.enqueue("q", "c2")
	h.talk("c2", "a1", 30*time.Second)
	h.advance(10 * time.Second)
	h.must(h.acd.WrapUpDone(h.ctx, h.tenant, "a1"))
	h.must(h.acd.AgentBusy(h.ctx, h.tenant, "a1", "out1"))
	h.advance(20 * time.Second)
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "out1"))
	st := h.agent("a1")
	want := acd.AgentDay{Handled: 3, Talk: 110 * time.Second, WrapUp: 40 * time.Second}
	if st.Today != want || st.AnsweredToday != 2 {
		t.Fatalf("today = %+v answered %d, want %+v and 2 answered", st.Today, st.AnsweredToday, want)
	}
}

func TestFailedPlacedCallGoesToWrapUp(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), OutboundWrapUp: 15 * time.Second,
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.login("a1")
	h.must(h.acd.AgentBusy(h.ctx, h.tenant, "a1", "out1"))
	h.enqueue("q", "c1")
	h.wantRings()
	h.must(h.acd.CallFailed(h.ctx, h.tenant, "out1"))
	st := h.agent("a1")
	if st.State != acd.WrapUp || !st.WrapUpUntil.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("after a failed placed call: %+v, want wrap-up until +15 s", st)
	}
	h.wantRings()
	h.advance(15 * time.Second)
	h.wantState("a1", acd.Reserved)
	h.wantRings("c1→a1")

	// An answered one returns the agent to where it found them.
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c1", "a1"))
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "paperwork"))
	h.must(h.acd.AgentBusy(h.ctx, h.tenant, "a1", "out2"))
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "out2"))
	if st := h.agent("a1"); st.State != acd.NotReady || st.Reason != "paperwork" {
		t.Fatalf("after an answered placed call: %+v", st)
	}
	// A failed one from a break: wrap-up, then back on the break.
	h.must(h.acd.AgentBusy(h.ctx, h.tenant, "a1", "out3"))
	h.must(h.acd.CallFailed(h.ctx, h.tenant, "out3"))
	h.wantState("a1", acd.WrapUp)
	h.must(h.acd.WrapUpDone(h.ctx, h.tenant, "a1"))
	if st := h.agent("a1"); st.State != acd.NotReady || st.Reason != "paperwork" {
		t.Fatalf("after the failed call's wrap-up: %+v", st)
	}
}

// TestServiceLevelByHand: kpi.md's answered within Y ÷ offered, with the
// abandon method configurable, worked by hand for each method.
func TestServiceLevelByHand(t *testing.T) {
	for _, tc := range []struct {
		method acd.AbandonMethod
		calls  int
		sl     float64
	}{
		// answered: 3 in time + 1 late; 1 long abandon, 1 short abandon;
		// 1 overflowed; 1 waiting past the threshold; 1 waiting 5 s.
		{acd.AbandonsShort, 4 + 1 + 1 + 1, 3.0 / 7},
		{acd.AbandonsFailures, 4 + 2 + 1 + 1, 3.0 / 8},
		{acd.AbandonsIgnored, 4 + 1 + 1, 3.0 / 6},
	} {
		t.Run(string(tc.method), func(t *testing.T) {
			h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{
				{ID: "q", Agents: ids(1), SLThreshold: 20 * time.Second, SLAbandons: tc.method, ShortAbandon: 5 * time.Second,
					MaxWait: 10 * time.Minute, Overflow: acd.Target{Kind: acd.TargetHangup}}}}, nil)
			// Nothing yet: no service level, not 100 %.
			if st := h.stats("q"); st.SLCalls != 0 {
				t.Fatalf("empty day: %+v", st)
			}
			h.enqueue("q", "w1")
			if st := h.stats("q"); st.SLCalls != 0 || st.Waiting != 1 {
				t.Fatalf("one caller waiting 0 s: SL over %d calls, want none decided", st.SLCalls)
			}
			h.advance(21 * time.Second)
			if st := h.stats("q"); st.SLCalls != 1 || st.ServiceLevel != 0 {
				t.Fatalf("one caller waiting 21 s: SL %v over %d, want 0 over 1", st.ServiceLevel, st.SLCalls)
			}
			h.must(h.acd.CallerAbandoned(h.ctx, h.tenant, "w1")) // a long abandon (21 s)
			h.enqueue("q", "s1")
			h.advance(2 * time.Second)
			h.must(h.acd.CallerAbandoned(h.ctx, h.tenant, "s1")) // a short one (2 s)
			h.login("a1")
			for _, id := range []string{"c1", "c2", "c3"} {
				h.enqueue("q", id)
				h.advance(3 * time.Second)
				h.talk(id, "a1", time.Second)
			}
			h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "x"))
			h.enqueue("q", "late")
			h.advance(25 * time.Second)
			h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
			h.talk("late", "a1", time.Second) // answered after 25 s
			h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "x"))
			h.enqueue("q", "over")
			h.advance(10 * time.Minute) // overflows
			h.enqueue("q", "past")
			h.advance(30 * time.Second)
			h.enqueue("q", "new")
			h.advance(5 * time.Second)
			st := h.stats("q")
			if st.Today.Answered != 4 || st.Today.AnsweredInSL != 3 || st.Today.Abandoned != 2 || st.Today.AbandonedShort != 1 ||
				st.Today.Overflowed != 1 || st.Waiting != 2 {
				t.Fatalf("counts %+v waiting %d", st.Today, st.Waiting)
			}
			if st.SLCalls != tc.calls || st.ServiceLevel != tc.sl {
				t.Fatalf("SL %v over %d calls, want %v over %d", st.ServiceLevel, st.SLCalls, tc.sl, tc.calls)
			}
		})
	}
}

// TestWaitingPastThresholdPublishesStats: the queue's figures change when a
// caller crosses the SL threshold, with nothing else happening.
func TestWaitingPastThresholdPublishesStats(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1), SLThreshold: 20 * time.Second}}}, nil)
	h.enqueue("q", "c1")
	h.sync()
	h.sink.Take()
	h.advance(21 * time.Second)
	var last *acd.QueueStats
	for _, e := range h.sink.Take() {
		if s, ok := e.(acd.StatsEvent); ok {
			last = &s.Stats
		}
	}
	if last == nil || last.SLCalls != 1 || last.ServiceLevel != 0 {
		t.Fatalf("stats after the threshold: %+v, want SL 0 over 1 call", last)
	}
}

func TestAgentDayAndBreakRestored(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acd.db")
	cfg := acd.TenantConfig{Agents: agents(2), ReasonCodes: breakReasons, Queues: []acd.QueueConfig{{ID: "q", Agents: ids(2), WrapUp: 30 * time.Second}}}
	db, log := openLog(t, path)
	h := newHarness(t, cfg, log)
	h.login("a1", "a2")
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a2", "小休"))
	h.enqueue("q", "c1")
	h.talk("c1", "a1", 90*time.Second)
	h.advance(30 * time.Second)
	h.enqueue("q", "c2")
	h.talk("c2", "a1", 45*time.Second)
	h.must(h.acd.WrapUpDone(h.ctx, h.tenant, "a1"))
	before := h.agent("a1").Today
	h.acd.Close()
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, log2 := openLog(t, path)
	defer db2.Close()
	defer log2.Close(ctx)
	// Restarted 20 minutes after a2's break began: it is over its
	// 15 minutes, so the alert goes at once.
	h2 := newHarnessAt(t, cfg, log2, acdtest.NewClock(t0.Add(20*time.Minute)))
	want := acd.AgentDay{Handled: 2, Talk: 135 * time.Second, WrapUp: 30 * time.Second}
	if got := h2.agent("a1").Today; got != want || before != want {
		t.Fatalf("restored day %+v (before the restart %+v), want %+v", got, before, want)
	}
	h2.advance(0)
	if o := h2.overruns(); len(o) != 1 || o[0].ID != "a2" {
		t.Fatalf("alerts after the restart: %+v, want a2's", o)
	}
}

// Surveys after queue calls count for the agent who took the call and for
// its queue; the day's figures come back after a restart.
func TestSurveysCountForAgentAndQueue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acd.db")
	cfg := acd.TenantConfig{Agents: agents(2), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(2)}, {ID: "r", Agents: ids(2)}}}
	db, log := openLog(t, path)
	h := newHarness(t, cfg, log)
	h.login("a1")
	h.enqueue("q", "c1")
	h.talk("c1", "a1", time.Minute)
	h.enqueue("q", "c2")
	h.talk("c2", "a1", time.Minute)
	h.must(h.acd.Survey(h.ctx, h.tenant, "c1", true, 5))
	h.must(h.acd.Survey(h.ctx, h.tenant, "c2", false, 0))
	if err := h.acd.Survey(h.ctx, h.tenant, "c1", true, 1); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("a second survey of c1: %v, want ErrConflict", err)
	}
	if err := h.acd.Survey(h.ctx, h.tenant, "nope", true, 3); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("a survey of an unknown call: %v, want ErrNotFound", err)
	}
	want := acd.Surveys{Asked: 2, Answered: 1, ScoreSum: 5}
	if got := h.agent("a1").Today.Surveys; got != want {
		t.Fatalf("a1's surveys %+v, want %+v", got, want)
	}
	if got := h.stats("q").Today.Surveys; got != want {
		t.Fatalf("q's surveys %+v, want %+v", got, want)
	}
	if got := h.stats("r").Today.Surveys; got != (acd.Surveys{}) {
		t.Fatalf("r's surveys %+v, want none", got)
	}
	if m, ok := want.Mean(); !ok || m != 5 {
		t.Fatalf("mean %v %v", m, ok)
	}
	h.acd.Close()
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, log2 := openLog(t, path)
	defer db2.Close()
	defer log2.Close(ctx)
	h2 := newHarnessAt(t, cfg, log2, acdtest.NewClock(t0.Add(time.Hour)))
	if got := h2.agent("a1").Today.Surveys; got != want {
		t.Fatalf("restored a1's surveys %+v, want %+v", got, want)
	}
	if got := h2.stats("q").Today.Surveys; got != want {
		t.Fatalf("restored q's surveys %+v, want %+v", got, want)
	}
}

// The overrun alert is a row of the ACD's log beside the state changes,
// and a log written before the alert kinds existed is carried over.
func TestOverrunAlertIsLogged(t *testing.T) {
	ctx := context.Background()
	db, log := openLog(t, filepath.Join(t.TempDir(), "acd.db"))
	defer db.Close()
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), ReasonCodes: breakReasons, Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, log)
	h.login("a1")
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "小休"))
	h.advance(16 * time.Minute)
	h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs, err := log.Records(ctx, h.tenant, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, string(r.Kind)+":"+string(r.State)+r.Outcome)
	}
	want := []string{"agent:ready", "agent:not_ready", "alert:not_readyoverrun", "agent:ready"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("log %v, want %v", kinds, want)
	}
	if a := recs[2]; a.Reason != "小休" || a.Wait != 15*time.Minute || !a.At.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("alert row %+v", a)
	}
	h.acd.Close()
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A log written before alerts and surveys existed is carried over by the
// migration that lets them in: its rows read back, and the new kinds write.
func TestLogMigratesToAlertsAndSurveys(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "acd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := fstest.MapFS{}
	for _, f := range []string{"0001_acd_log.sql", "0003_acd_log_call_index.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		if err != nil {
			t.Fatal(err)
		}
		old[f] = &fstest.MapFile{Data: b}
	}
	if err := db.Migrate(ctx, "acd", old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO acd_log(tenant, at_ms, kind, agent, state, reason) VALUES ('demo', ?, 'agent', 'a1', 'not_ready', '会议')`,
		t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	log, err := acd.OpenSQLLog(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	log.Append(acd.Record{Tenant: "demo", At: t0.Add(time.Minute), Kind: acd.RecordAlert, Agent: "a1", State: acd.NotReady, Reason: "会议", Outcome: acd.OutcomeOverrun})
	log.Append(acd.Record{Tenant: "demo", At: t0.Add(2 * time.Minute), Kind: acd.RecordSurvey, Agent: "a1", Queue: "q", Call: "c1",
		Outcome: acd.OutcomeSurvey, InSL: true, Score: 4})
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	recs, err := log.Records(ctx, "demo", t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Reason != "会议" || recs[1].Kind != acd.RecordAlert || recs[2].Score != 4 {
		t.Fatalf("records after the migration: %+v", recs)
	}
	r, err := log.Restore(ctx, "demo", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AgentDay["a1"].Surveys; got != (acd.Surveys{Asked: 1, Answered: 1, ScoreSum: 4}) {
		t.Fatalf("restored surveys %+v", got)
	}
}
