package contactcenter_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/ivr/callsession"
)

func queue(id string, st acd.Strategy, agents ...string) acd.QueueConfig {
	return acd.QueueConfig{ID: id, Strategy: st, Agents: agents, RingTimeout: 15 * time.Second}
}

// pending fails when the caller's wait has already ended.
func pending(t *testing.T, ch <-chan result) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("the wait ended early: %+v", r)
	case <-time.After(20 * time.Millisecond):
	}
}

// A queued caller is rung to the agent, bridged when they answer, and the
// agent goes to wrap-up when they hang up; the caller returns to the flow.
func TestQueuedCallerAnsweredThenAgentHangsUp(t *testing.T) {
	q := queue("support", acd.LongestIdle, "a1")
	q.WrapUp = 30 * time.Second
	h := newHarness(t, 1, q)
	call := newCall("c1")
	sess := newSession(call)
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "support"})
	h.eventually("1001 rings", func() bool { return call.isRinging("1001") })
	if st := h.agent("a1"); st.State != acd.Reserved || st.Call != "c1" {
		t.Fatalf("agent while ringing = %+v", st)
	}
	call.answer(t, "1001")
	h.agentState("a1", acd.OnCall)
	<-sess.bridged
	pending(t, res)

	close(sess.ended) // the agent hangs up
	r := h.result(res)
	if !r.res.Answered || r.err != nil {
		t.Fatalf("result = %+v, %v; want answered", r.res, r.err)
	}
	h.agentState("a1", acd.WrapUp)
	h.clk.Advance(30 * time.Second)
	h.agentState("a1", acd.Ready)
	if st := h.agent("a1"); st.AnsweredToday != 1 || st.NoAnswer != 0 {
		t.Errorf("agent after the call = %+v", st)
	}
}

// Ring-all rings every ready member; the first to answer takes the call
// and the others stop ringing without counting as unanswered.
func TestRingAllFirstAnswerStopsTheOthers(t *testing.T) {
	h := newHarness(t, 3, queue("sales", acd.RingAll, "a1", "a2", "a3"))
	call := newCall("c1")
	sess := newSession(call)
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "sales"})
	h.eventually("all three ring", func() bool { return len(call.ringing()) == 3 })

	call.mu.Lock() // only 1002's ring learns of the answer: the others must be stopped
	winner := call.rings["1002"]
	delete(call.rings, "1002")
	call.mu.Unlock()
	winner.result <- "1002"

	h.agentState("a2", acd.OnCall)
	h.eventually("1001 and 1003 stopped ringing", func() bool { return call.wasCancelled("1001") && call.wasCancelled("1003") })
	for _, id := range []string{"a1", "a3"} {
		if st := h.agent(id); st.State != acd.Ready || st.NoAnswer != 0 {
			t.Errorf("losing agent %s = %+v, want ready and not penalised", id, st)
		}
	}
	if call.wasCancelled("1002") {
		t.Error("the winner's ring was cancelled")
	}
	close(sess.ended)
	if r := h.result(res); !r.res.Answered {
		t.Fatalf("result = %+v", r)
	}
}

// An agent who lets it ring out gets a no-answer and the next agent is rung.
func TestAgentNoAnswerRingsTheNext(t *testing.T) {
	h := newHarness(t, 2, queue("support", acd.Sequential, "a1", "a2"))
	call := newCall("c1")
	sess := newSession(call)
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "support"})
	h.eventually("1001 rings", func() bool { return call.isRinging("1001") })
	h.clk.Advance(14 * time.Second)
	if !call.isRinging("1001") || call.isRinging("1002") {
		t.Fatalf("before the ring timeout: ringing %v", call.ringing())
	}
	h.clk.Advance(time.Second)
	h.eventually("1002 rings after 1001 timed out", func() bool { return call.isRinging("1002") })
	if !call.wasCancelled("1001") || call.isRinging("1001") {
		t.Fatalf("1001 still rings: %v", call.ringing())
	}
	if st := h.agent("a1"); st.State != acd.Ready || st.NoAnswer != 1 {
		t.Errorf("a1 after ringing out = %+v, want ready with one no-answer", st)
	}
	call.answer(t, "1002")
	h.agentState("a2", acd.OnCall)
	close(sess.ended)
	if r := h.result(res); !r.res.Answered || r.err != nil {
		t.Fatalf("result = %+v", r)
	}
}

// After max_wait a caller overflows to another queue and is answered there.
func TestOverflowToAnotherQueue(t *testing.T) {
	first := queue("first", acd.LongestIdle, "a1")
	first.MaxWait, first.Overflow = time.Minute, acd.Target{Kind: acd.TargetQueue, Value: "second"}
	h := newHarness(t, 2, first, queue("second", acd.LongestIdle, "a2"))
	h.notReady("a1")
	call := newCall("c1")
	sess := newSession(call)
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "first"})
	h.clk.Advance(59 * time.Second)
	if r := call.ringing(); len(r) != 0 {
		t.Fatalf("rang %v before max_wait", r)
	}
	h.clk.Advance(time.Second)
	h.eventually("the second queue's agent rings", func() bool { return call.isRinging("1002") })
	call.answer(t, "1002")
	close(sess.ended)
	if r := h.result(res); !r.res.Answered || r.err != nil {
		t.Fatalf("result = %+v", r)
	}
}

// Overflow to an extension transfers the caller there; an extension that
// does not answer, or a target the PBX leaves to the flow (voicemail),
// returns the caller to the flow unanswered.
func TestOverflowToATarget(t *testing.T) {
	for _, tc := range []struct {
		name     string
		target   acd.Target
		code     int
		answered bool
		transfer []string
	}{
		{"extension answers", acd.Target{Kind: acd.TargetExtension, Value: "2000"}, 200, true, []string{"2000"}},
		{"extension busy", acd.Target{Kind: acd.TargetExtension, Value: "2000"}, 486, false, []string{"2000"}},
		{"voicemail", acd.Target{Kind: acd.TargetVoicemail, Value: "hotline"}, 200, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := queue("support", acd.LongestIdle, "a1")
			q.MaxWait, q.Overflow = time.Minute, tc.target
			h := newHarness(t, 1, q)
			if err := h.cc.ACD.NotReady(h.ctx, tenant, "a1", "break"); err != nil {
				t.Fatal(err)
			}
			call := newCall("c1")
			call.transfer = tc.code
			sess := newSession(call)
			res := h.wait(call, sess, ivr.QueueRequest{Queue: "support"})
			h.clk.Advance(time.Minute)
			if tc.answered {
				<-sess.bridged
				close(sess.ended)
			}
			r := h.result(res)
			if r.res.Answered != tc.answered || r.err != nil {
				t.Fatalf("result = %+v, %v; want answered %v", r.res, r.err, tc.answered)
			}
			if !slices.Equal(call.transfers, tc.transfer) {
				t.Errorf("transfers = %v, want %v", call.transfers, tc.transfer)
			}
			if w, _ := h.cc.ACD.Waiting(h.ctx, tenant, "support"); len(w) != 0 {
				t.Errorf("still waiting in the ACD: %+v", w)
			}
		})
	}
}

// Every announce_every each waiting caller hears their place and expected
// wait in the configured words.
func TestAnnouncementsOnSchedule(t *testing.T) {
	q := queue("support", acd.LongestIdle, "a1")
	q.AnnounceEvery = time.Minute
	h := newHarness(t, 1, q)
	h.notReady("a1")
	c1, c2 := newCall("c1"), newCall("c2")
	s1, s2 := newSession(c1), newSession(c2)
	w1 := h.wait(c1, s1, ivr.QueueRequest{Queue: "support"})
	h.wait(c2, s2, ivr.QueueRequest{Queue: "support"})
	h.clk.Advance(59 * time.Second)
	time.Sleep(20 * time.Millisecond)
	if len(s1.heard()) != 0 || len(s2.heard()) != 0 {
		t.Fatalf("announced before announce_every: %v %v", s1.heard(), s2.heard())
	}
	h.clk.Advance(time.Second)
	// No agent is staffed: the expected wait is the default 3 min handle time per caller.
	h.eventually("first announcements", func() bool { return len(s1.heard()) == 1 && len(s2.heard()) == 1 })
	if got := s1.heard()[0]; got != "ahead 0, about 3 min" {
		t.Errorf("first caller heard %q", got)
	}
	if got := s2.heard()[0]; got != "ahead 1, about 6 min" {
		t.Errorf("second caller heard %q", got)
	}
	h.clk.Advance(time.Minute)
	h.eventually("second announcements", func() bool { return len(s1.heard()) == 2 && len(s2.heard()) == 2 })
	c1.hangUp()
	h.result(w1)
	h.clk.Advance(time.Minute)
	h.eventually("the second caller moved up", func() bool { return len(s2.heard()) == 3 })
	if got := s2.heard()[2]; got != "ahead 0, about 3 min" {
		t.Errorf("after the first caller left the second heard %q", got)
	}
	if len(s1.heard()) != 2 {
		t.Errorf("a caller who hung up was announced to: %v", s1.heard())
	}
}

// offeredCallback has caller c1 wait with no agent ready until callback_after
// (30 s) has passed; they press key when offered the callback.
func offeredCallback(t *testing.T, key string) (*harness, *fakeSession, <-chan result) {
	q := queue("support", acd.LongestIdle, "a1")
	q.CallbackAfter = 30 * time.Second
	h := newHarness(t, 1, q)
	h.notReady("a1")
	call := newCall("c1")
	sess := newSession(call)
	sess.key = key
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "support"})
	h.clk.Advance(30 * time.Second)
	return h, sess, res
}

// After callback_after the caller is offered a callback; pressing the key
// books it and hangs up, and the callback rings the next free agent, then
// the caller's number.
func TestCallbackOfferedAndTaken(t *testing.T) {
	h, sess, res := offeredCallback(t, "7")
	r := h.result(res)
	if r.res.Answered || !errors.Is(r.err, callsession.ErrHungUp) {
		t.Fatalf("result = %+v, %v; want the caller gone after booking", r.res, r.err)
	}
	if got := sess.heard(); !slices.Equal(got, []string{"ahead 0, about 3 min", "we will call you"}) || !slices.Equal(sess.asked, []string{"press 7 for a callback"}) || !sess.hungUp {
		t.Fatalf("heard %q, asked %q, hung up %v", got, sess.asked, sess.hungUp)
	}
	if len(h.calls.log()) != 0 {
		t.Fatalf("dialled before an agent was free: %v", h.calls.log())
	}
	if err := h.cc.ACD.Ready(h.ctx, tenant, "a1"); err != nil {
		t.Fatal(err)
	}
	h.eventually("the callback is dialled", func() bool { return len(h.calls.log()) == 1 })
	if got := h.calls.log()[0]; got != "callback demo 1001→13800138000" {
		t.Fatalf("dialled %q", got)
	}
	h.calls.report(t, true)
	h.agentState("a1", acd.OnCall)
}

// A caller who does not press the callback key keeps waiting.
func TestCallbackDeclinedKeepsWaiting(t *testing.T) {
	h, sess, res := offeredCallback(t, "1")
	h.eventually("the offer", func() bool { sess.mu.Lock(); defer sess.mu.Unlock(); return len(sess.asked) == 1 })
	pending(t, res)
	if err := h.cc.ACD.Ready(h.ctx, tenant, "a1"); err != nil {
		t.Fatal(err)
	}
	h.eventually("the agent rings", func() bool { return sess.call.isRinging("1001") })
	if sess.hungUp || len(h.calls.log()) != 0 {
		t.Fatalf("hung up %v, dialled %v", sess.hungUp, h.calls.log())
	}
}

// A caller who hangs up while agents ring stops every ring; the agents are
// ready again and not counted as unanswered; the call counts as abandoned.
func TestCallerHangsUpWhileAgentsRing(t *testing.T) {
	h := newHarness(t, 2, queue("sales", acd.RingAll, "a1", "a2"))
	call := newCall("c1")
	sess := newSession(call)
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "sales"})
	h.eventually("both ring", func() bool { return len(call.ringing()) == 2 })
	call.hangUp()
	if r := h.result(res); !errors.Is(r.err, callsession.ErrHungUp) || r.res.Answered {
		t.Fatalf("result = %+v, %v", r.res, r.err)
	}
	h.eventually("both rings cancelled", func() bool { return call.wasCancelled("1001") && call.wasCancelled("1002") })
	for _, id := range []string{"a1", "a2"} {
		h.agentState(id, acd.Ready)
		if st := h.agent(id); st.NoAnswer != 0 {
			t.Errorf("agent %s penalised for a caller who left: %+v", id, st)
		}
	}
	stats, err := h.cc.ACD.QueueStats(h.ctx, tenant)
	if err != nil || len(stats) != 1 || stats[0].Today.Abandoned != 1 {
		t.Fatalf("queue stats = %+v, %v; want one abandoned", stats, err)
	}
}

// A queue request's own timeout gives up on the caller (the flow's
// timeout branch) and takes them out of the ACD.
func TestQueueRequestTimeout(t *testing.T) {
	h := newHarness(t, 1, queue("support", acd.LongestIdle, "a1"))
	h.notReady("a1")
	call := newCall("c1")
	res := h.wait(call, newSession(call), ivr.QueueRequest{Queue: "support", Timeout: 30 * time.Second})
	h.clk.Advance(29 * time.Second)
	pending(t, res)
	h.clk.Advance(time.Second)
	if r := h.result(res); r.res.Answered || r.err != nil {
		t.Fatalf("result = %+v, %v", r.res, r.err)
	}
	if w, _ := h.cc.ACD.Waiting(h.ctx, tenant, "support"); len(w) != 0 {
		t.Errorf("still waiting: %+v", w)
	}
}
