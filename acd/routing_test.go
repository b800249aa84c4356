package acd_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/acd/acdtest"
	"github.com/yimen/yimen/internal/errs"
)

func TestLongestIdleOrder(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(4),
		Queues: []acd.QueueConfig{{ID: "hotline", Strategy: acd.LongestIdle, Agents: ids(4)}}}, nil)
	// Log in out of id order: the first to log in has been idle longest.
	for _, id := range []string{"a3", "a1", "a4", "a2"} {
		h.login(id)
		h.advance(time.Second)
	}
	h.enqueue("hotline", "c1", "c2", "c3", "c4", "c5")
	h.wantRings("c1→a3", "c2→a1", "c3→a4", "c4→a2")
	if st := h.stats("hotline"); st.Waiting != 5 || st.Agents[acd.Reserved] != 4 {
		t.Fatalf("stats = %+v, want 5 waiting (4 ringing) and 4 reserved", st)
	}
	for _, p := range [][2]string{{"c1", "a3"}, {"c2", "a1"}, {"c3", "a4"}, {"c4", "a2"}} {
		h.must(h.acd.AgentAnswered(h.ctx, h.tenant, p[0], p[1]))
	}
	// a4 frees first: c5 goes to a4; then a1 and a3 free, in that order.
	h.advance(10 * time.Second)
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c3"))
	h.wantRings("c5→a4")
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c2"))
	h.advance(time.Second)
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c1"))
	h.advance(time.Second)
	h.enqueue("hotline", "c6", "c7")
	h.wantRings("c6→a1", "c7→a3")
	st := h.stats("hotline")
	if st.Today.Answered != 4 || st.Waiting != 3 {
		t.Fatalf("answered=%d waiting=%d, want 4 and 3", st.Today.Answered, st.Waiting)
	}
}

func TestWrapUpRespected(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1),
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1), WrapUp: 30 * time.Second}}}, nil)
	h.login("a1")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1")
	h.talk("c1", "a1", time.Minute)
	h.wantState("a1", acd.WrapUp)
	h.enqueue("q", "c2")
	h.advance(29 * time.Second)
	h.wantRings() // still in wrap-up
	h.advance(time.Second)
	h.wantRings("c2→a1")
	// Wrap-up done early frees the agent at once.
	h.talk("c2", "a1", time.Minute)
	h.wantState("a1", acd.WrapUp)
	h.enqueue("q", "c3")
	h.must(h.acd.WrapUpDone(h.ctx, h.tenant, "a1"))
	h.wantRings("c3→a1")
	// The cancelled wrap-up timer must not fire into the next call.
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c3", "a1"))
	h.advance(time.Minute)
	h.wantState("a1", acd.OnCall)
	if err := h.acd.WrapUpDone(h.ctx, h.tenant, "a1"); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("wrap-up done while on a call: %v, want ErrConflict", err)
	}
}

func TestNoAnswerSkipsThenNotReady(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(2), MaxNoAnswer: 2,
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(2), RingTimeout: 10 * time.Second}}}, nil)
	h.login("a1")
	h.advance(time.Second)
	h.login("a2")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1")
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c1", "a1"))
	h.wantRings("c1→a2") // a1 is skipped for c1
	if st := h.agent("a1"); st.State != acd.Ready || st.NoAnswer != 1 {
		t.Fatalf("a1 = %+v, want ready with 1 no-answer", st)
	}
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a2"))
	h.enqueue("q", "c2")
	h.wantRings("c2→a1")
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c2", "a1"))
	st := h.agent("a1")
	if st.State != acd.NotReady || st.Reason != acd.ReasonNoAnswer {
		t.Fatalf("a1 = %+v, want not ready (no_answer) after 2 unanswered offers", st)
	}
	h.wantRings() // nobody else is free: c2 waits
	// A late answer from a1 is refused: the PBX must hang up that leg.
	if err := h.acd.AgentAnswered(h.ctx, h.tenant, "c2", "a1"); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("late answer: %v, want ErrConflict", err)
	}
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c1"))
	h.wantRings("c2→a2")
	// Ready again resets the count.
	h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
	if st := h.agent("a1"); st.NoAnswer != 0 {
		t.Fatalf("no-answer count after ready = %d", st.NoAnswer)
	}
}

func TestReservationTimesOutWithoutReport(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(2), ReservationGrace: 5 * time.Second,
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(2), RingTimeout: 10 * time.Second}}}, nil)
	h.login("a1")
	h.advance(time.Second)
	h.login("a2")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1")
	h.advance(14 * time.Second)
	h.wantState("a1", acd.Reserved)
	h.advance(time.Second) // ring timeout + grace, and the PBX said nothing
	acts := h.actions()
	if len(acts) != 2 || acts[0].Kind != "stop" || acts[0].AgentID != "a1" || acts[1].Kind != "ring" || acts[1].AgentID != "a2" {
		t.Fatalf("actions = %+v, want stop a1 then ring a2", acts)
	}
	if st := h.agent("a1"); st.State != acd.Ready || st.NoAnswer != 1 {
		t.Fatalf("a1 = %+v, want ready with 1 no-answer", st)
	}
}

func TestOverflowAtMaxWait(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(2), Queues: []acd.QueueConfig{
		{ID: "q1", Agents: []string{"a1"}, MaxWait: 60 * time.Second, Overflow: acd.Target{Kind: acd.TargetQueue, Value: "q2"}},
		{ID: "q2", Agents: []string{"a2"}, MaxWait: 30 * time.Second, Overflow: acd.Target{Kind: acd.TargetVoicemail, Value: "800"}},
	}}, nil)
	h.enqueue("q1", "c1")
	h.advance(59 * time.Second)
	if acts := h.actions(); len(acts) != 0 {
		t.Fatalf("before max wait: %+v", acts)
	}
	h.advance(time.Second)
	w, err := h.acd.Waiting(h.ctx, h.tenant, "q2")
	h.must(err)
	if len(w) != 1 || w[0].ID != "c1" || h.stats("q1").Today.Overflowed != 1 || h.stats("q1").Waiting != 0 {
		t.Fatalf("after q1's max wait: q2 waiting %+v, q1 %+v", w, h.stats("q1"))
	}
	// In q2 the call is offered to q2's agents.
	h.login("a2")
	h.wantRings("c1→a2")
	h.must(h.acd.AgentNoAnswer(h.ctx, h.tenant, "c1", "a2"))
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a2", "lunch"))
	h.actions()
	h.advance(30 * time.Second)
	acts := h.actions()
	if len(acts) != 1 || acts[0].Kind != "overflow" || acts[0].CallID != "c1" || acts[0].Target.String() != "voicemail:800" {
		t.Fatalf("actions = %+v, want overflow of c1 to voicemail:800", acts)
	}
	if w, _ := h.acd.Waiting(h.ctx, h.tenant, "q2"); len(w) != 0 {
		t.Fatalf("q2 still holds %+v", w)
	}
	var over []acd.OverflowEvent
	for _, e := range h.sink.Take() {
		if o, ok := e.(acd.OverflowEvent); ok {
			over = append(over, o)
		}
	}
	if len(over) != 2 || over[0].To.Value != "q2" || over[1].To.Kind != acd.TargetVoicemail {
		t.Fatalf("overflow events = %+v", over)
	}
}

func TestCallbackKeepsPlaceAndIsDialledWhenAgentFrees(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{
		{ID: "q", Agents: ids(1), CallbackAfter: 30 * time.Second, MaxWait: 10 * time.Minute, Overflow: acd.Target{Kind: acd.TargetHangup}}}}, nil)
	h.login("a1")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1")
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a1"))
	h.enqueue("q", "c2")
	h.advance(10 * time.Second)
	h.enqueue("q", "c3")
	h.advance(20 * time.Second) // c2 has waited 30 s
	acts := h.actions()
	if len(acts) != 1 || acts[0].Kind != "announce" || acts[0].CallID != "c2" || !acts[0].Announce.OfferCallback || acts[0].Announce.Position != 1 {
		t.Fatalf("actions = %+v, want a callback offer to c2 at position 1", acts)
	}
	h.must(h.acd.AcceptCallback(h.ctx, h.tenant, "c2", "13912345678"))
	st := h.stats("q")
	if st.Waiting != 1 || st.Callbacks != 1 || st.Today.Callbacks != 1 {
		t.Fatalf("stats = %+v, want 1 waiting caller and 1 callback", st)
	}
	// Max wait does not throw a callback request out.
	h.advance(15 * time.Minute)
	acts = h.actions()
	if len(acts) != 2 || acts[0].CallID != "c3" || acts[0].Kind != "announce" || acts[1].Kind != "overflow" || acts[1].CallID != "c3" {
		t.Fatalf("actions = %+v, want c3's offer then c3 alone overflowing", acts)
	}
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c1"))
	acts = h.actions()
	if len(acts) != 1 || acts[0].Kind != "ring" || acts[0].CallID != "c2" || acts[0].Ring.Callback != "13912345678" || acts[0].AgentID != "a1" {
		t.Fatalf("actions = %+v, want the callback for c2 rung to a1", acts)
	}
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c2", "a1"))
	if st := h.stats("q"); st.Callbacks != 0 || st.Today.Answered != 1 {
		t.Fatalf("stats after callback = %+v; a callback is not a second answered call", st)
	}
}

func TestCallbackOutranksLaterCaller(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.enqueue("q", "c1", "c2")
	h.must(h.acd.AcceptCallback(h.ctx, h.tenant, "c1", "13912345678"))
	h.login("a1")
	acts := h.actions()
	if len(acts) != 1 || acts[0].CallID != "c1" || acts[0].Ring.Callback == "" {
		t.Fatalf("actions = %+v, want the callback (first in line) rung first", acts)
	}
	if err := h.acd.AcceptCallback(h.ctx, h.tenant, "c2", "12a"); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("bad number: %v", err)
	}
}

func TestAbandonWhileRinging(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1), SLThreshold: 20 * time.Second}}}, nil)
	h.enqueue("q", "c1", "c2")
	h.advance(25 * time.Second)
	h.must(h.acd.CallerAbandoned(h.ctx, h.tenant, "c2")) // after the threshold: counts against the SL
	h.login("a1")
	h.wantRings("c1→a1")
	h.must(h.acd.CallerAbandoned(h.ctx, h.tenant, "c1"))
	acts := h.actions()
	if len(acts) != 1 || acts[0].Kind != "stop" {
		t.Fatalf("actions = %+v, want the ring stopped", acts)
	}
	h.wantState("a1", acd.Ready)
	if st := h.agent("a1"); st.NoAnswer != 0 {
		t.Fatal("a caller leaving is not the agent's no-answer")
	}
	st := h.stats("q")
	if st.Today.Abandoned != 2 || st.ServiceLevel != 0 {
		t.Fatalf("stats = %+v, want 2 abandoned and SL 0", st)
	}
	h.enqueue("q", "c3")
	h.wantRings("c3→a1")
	h.talk("c3", "a1", time.Second)
	if st := h.stats("q"); st.ServiceLevel != 1.0/3 {
		t.Fatalf("SL = %v, want 1/3 (one in time, two abandoned late)", st.ServiceLevel)
	}
	if err := h.acd.CallerAbandoned(h.ctx, h.tenant, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("unknown call: %v", err)
	}
}

func TestPendingStateAppliesAfterCall(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), ReasonCodes: []acd.ReasonCode{{Code: "lunch"}, {Code: "training"}},
		Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1), WrapUp: time.Minute}}}, nil)
	h.login("a1")
	h.enqueue("q", "c1")
	h.wantRings("c1→a1")
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a1"))
	if err := h.acd.NotReady(h.ctx, h.tenant, "a1", "smoking"); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("unlisted reason: %v, want ErrInvalid", err)
	}
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "lunch"))
	if st := h.agent("a1"); st.State != acd.OnCall || st.Pending != acd.NotReady {
		t.Fatalf("a1 = %+v, want on call with not ready pending", st)
	}
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "c1"))
	if st := h.agent("a1"); st.State != acd.NotReady || st.Reason != "lunch" {
		t.Fatalf("a1 = %+v, want not ready (lunch) at once", st)
	}
	h.enqueue("q", "c2")
	h.wantRings()
	h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
	h.wantRings("c2→a1")
	// A supervisor forcing not-ready while it rings takes the offer back.
	h.must(h.acd.ForceState(h.ctx, h.tenant, "a1", acd.NotReady, "training"))
	acts := h.actions()
	if len(acts) != 1 || acts[0].Kind != "stop" {
		t.Fatalf("actions = %+v, want the ring stopped", acts)
	}
	h.must(h.acd.Logout(h.ctx, h.tenant, "a1"))
	if err := h.acd.Ready(h.ctx, h.tenant, "a1"); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("ready while logged out: %v", err)
	}
	if err := h.acd.ForceState(h.ctx, h.tenant, "a1", acd.OnCall, ""); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("force on_call: %v", err)
	}
}

func TestDirectCallReturnsToPreviousState(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.login("a1")
	h.must(h.acd.NotReady(h.ctx, h.tenant, "a1", "paperwork"))
	h.must(h.acd.AgentBusy(h.ctx, h.tenant, "a1", "out1"))
	h.wantState("a1", acd.OnCall)
	h.enqueue("q", "c1")
	h.must(h.acd.CallEnded(h.ctx, h.tenant, "out1"))
	if st := h.agent("a1"); st.State != acd.NotReady || st.Reason != "paperwork" {
		t.Fatalf("a1 = %+v, want back to not ready (paperwork)", st)
	}
	h.wantRings()
	h.must(h.acd.Ready(h.ctx, h.tenant, "a1"))
	h.wantRings("c1→a1")
	if err := h.acd.AgentBusy(h.ctx, h.tenant, "a1", "out2"); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("busy while reserved: %v", err)
	}
}

func TestAnnouncementsPositionAndExpectedWait(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(2), Queues: []acd.QueueConfig{
		{ID: "q", Agents: ids(2), AnnounceEvery: 30 * time.Second, HandleTime: 2 * time.Minute}}}, nil)
	h.login("a1", "a2")
	h.enqueue("q", "c1", "c2", "c3", "c4")
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c1", "a1"))
	h.must(h.acd.AgentAnswered(h.ctx, h.tenant, "c2", "a2"))
	h.actions()
	h.advance(30 * time.Second)
	var got []acd.Announcement
	for _, a := range h.actions() {
		got = append(got, a.Announce)
	}
	// Two staffed agents, 2 min per call: position p waits p × 1 min.
	if len(got) != 2 || got[0].CallID != "c3" || got[0].Position != 1 || got[0].ExpectedWait != time.Minute ||
		got[1].CallID != "c4" || got[1].Position != 2 || got[1].ExpectedWait != 2*time.Minute {
		t.Fatalf("announcements = %+v", got)
	}
	h.must(h.acd.CallerAbandoned(h.ctx, h.tenant, "c3"))
	h.advance(30 * time.Second)
	if a := h.actions(); len(a) != 1 || a[0].CallID != "c4" || a[0].Announce.Position != 1 {
		t.Fatalf("after c3 left: %+v", a)
	}
}

func TestVIPAndPriorityGoFirst(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.enqueue("q", "c1")
	h.must(h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: "p5", Queue: "q", Priority: 5}))
	h.must(h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: "vip", Queue: "q", VIP: true}))
	h.enqueue("q", "c2")
	w, err := h.acd.Waiting(h.ctx, h.tenant, "q")
	h.must(err)
	var order []string
	for _, c := range w {
		order = append(order, c.ID)
	}
	if !slices.Equal(order, []string{"vip", "p5", "c1", "c2"}) {
		t.Fatalf("order = %v", order)
	}
	h.login("a1")
	h.wantRings("vip→a1")
}

func TestCrossQueueOldestFirst(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{
		{ID: "q1", Agents: ids(1)}, {ID: "q2", Agents: ids(1)}}}, nil)
	h.enqueue("q2", "old")
	h.advance(time.Second)
	h.enqueue("q1", "new")
	h.login("a1")
	h.wantRings("old→a1")
}

func TestBadInput(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"unknown queue", h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: "x", Queue: "nope"}), errs.ErrNotFound},
		{"empty call id", h.acd.Enqueue(h.ctx, h.tenant, acd.Call{Queue: "q"}), errs.ErrInvalid},
		{"unknown tenant", h.acd.Enqueue(h.ctx, "other", acd.Call{ID: "x", Queue: "q"}), errs.ErrNotFound},
		{"unknown agent", h.acd.Login(h.ctx, h.tenant, "zz"), errs.ErrNotFound},
		{"answer unknown call", h.acd.AgentAnswered(h.ctx, h.tenant, "x", "a1"), errs.ErrNotFound},
		{"end unknown call", h.acd.CallEnded(h.ctx, h.tenant, "x"), errs.ErrNotFound},
		{"not ready logged out", h.acd.NotReady(h.ctx, h.tenant, "a1", "lunch"), errs.ErrConflict},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	h.enqueue("q", "dup")
	if err := h.acd.Enqueue(h.ctx, h.tenant, acd.Call{ID: "dup", Queue: "q"}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate call: %v", err)
	}
}

func TestStatsEventsAtMostOncePerSecond(t *testing.T) {
	h := newHarness(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil)
	h.enqueue("q", "c1")
	h.enqueue("q", "c2")
	h.enqueue("q", "c3")
	h.sync()
	count := func() (n int, last acd.QueueStats) {
		for _, e := range h.sink.Take() {
			if s, ok := e.(acd.StatsEvent); ok {
				n++
				last = s.Stats
			}
		}
		return
	}
	if n, last := count(); n != 1 || last.Waiting != 1 {
		t.Fatalf("first change: %d stats events (last waiting %d), want 1 sent at once with 1 waiting", n, last.Waiting)
	}
	h.advance(999 * time.Millisecond)
	if n, _ := count(); n != 0 {
		t.Fatalf("%d stats events inside the second", n)
	}
	h.advance(time.Millisecond)
	if n, last := count(); n != 1 || last.Waiting != 3 {
		t.Fatalf("%d stats events at the second (waiting %d), want 1 with 3 waiting", n, last.Waiting)
	}
	h.advance(5 * time.Second)
	if n, _ := count(); n != 0 {
		t.Fatalf("%d stats events without a change", n)
	}
}

func TestDailyCountersResetAtMidnight(t *testing.T) {
	clk := newClockAt(time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC))
	h := newHarnessAt(t, acd.TenantConfig{Agents: agents(1), Queues: []acd.QueueConfig{{ID: "q", Agents: ids(1)}}}, nil, clk)
	h.login("a1")
	h.enqueue("q", "c1")
	h.talk("c1", "a1", 10*time.Second)
	if st := h.stats("q"); st.Today.Answered != 1 || h.agent("a1").AnsweredToday != 1 {
		t.Fatalf("before midnight: %+v", st)
	}
	h.advance(2 * time.Minute)
	if st := h.stats("q"); st.Today.Answered != 0 || h.agent("a1").AnsweredToday != 0 {
		t.Fatalf("after midnight: %+v, agent %+v", st, h.agent("a1"))
	}
}

// decliningDialer reports "no answer" from inside RingAgent, as a PBX
// whose agent phone is unreachable might.
type decliningDialer struct {
	*acdtest.Dialer
	acd     *acd.ACD
	decline string
}

func (d *decliningDialer) RingAgent(ctx context.Context, r acd.Ring) {
	d.Dialer.RingAgent(ctx, r)
	if r.AgentID == d.decline {
		if err := d.acd.AgentNoAnswer(ctx, r.Tenant, r.CallID, r.AgentID); err != nil {
			panic(err)
		}
	}
}

func TestReportFromInsideDialerDoesNotDeadlock(t *testing.T) {
	ctx := context.Background()
	rec := &acdtest.Dialer{}
	d := &decliningDialer{Dialer: rec, decline: "a1"}
	a, err := acd.New(acd.Deps{Dialer: d, Clock: acdtest.NewClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d.acd = a
	if err := a.AddTenant(ctx, acd.TenantConfig{Tenant: "demo", Agents: agents(2), Location: time.UTC,
		Queues: []acd.QueueConfig{{ID: "q", Strategy: acd.Sequential, Agents: ids(2)}}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2"} {
		if err := a.Login(ctx, "demo", id); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Enqueue(ctx, "demo", acd.Call{ID: "c1", Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	st, err := a.Agent(ctx, "demo", "a2") // waits for the queued report too
	if err != nil {
		t.Fatal(err)
	}
	var rings []string
	for _, act := range rec.Take() {
		if act.Kind == "ring" {
			rings = append(rings, act.AgentID)
		}
	}
	if st.State != acd.Reserved || !slices.Equal(rings, []string{"a1", "a2"}) {
		t.Fatalf("a2 = %s, rings %v; want a1 declined from inside the dialer and a2 rung", st.State, rings)
	}
}
