package cti_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/pbx/callevent"
)

func TestQueueCallLifecycleReachesAgentAndQueue(t *testing.T) {
	e := newEnv(t, cti.Config{})
	ctx := e.cctx()
	a1 := e.dial(tokAgent1)
	if _, err := a1.Subscribe(ctx, "agent:a1"); err != nil {
		t.Fatal(err)
	}
	wall := e.dial(tokWall)
	if _, err := wall.Subscribe(ctx, "queue:hotline"); err != nil {
		t.Fatal(err)
	}
	if err := e.acd.Enqueue(ctx, "demo", acd.Call{ID: "c1", Queue: "hotline", Caller: "13800138000", DID: "12345", VIP: true,
		Vars: map[string]string{"menu": "2"}}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(12 * time.Second)
	if err := a1.Login(ctx, ""); err != nil {
		t.Fatal(err)
	}
	var ring protocol.CallRinging
	if err := nextOf(t, a1, protocol.EventCallRinging).Decode(&ring); err != nil {
		t.Fatal(err)
	}
	if ring.Call != "c1" || ring.Agent != "a1" || ring.Queue != "hotline" || ring.Caller != "13800138000" || ring.DID != "12345" ||
		!ring.VIP || ring.WaitS != 12 || ring.Vars["menu"] != "2" {
		t.Fatalf("call.ringing = %+v", ring)
	}
	var stats protocol.QueueStats
	if err := nextOf(t, wall, protocol.EventQueueStats).Decode(&stats); err != nil || stats.Queue != "hotline" || stats.Waiting != 1 {
		t.Fatalf("queue.stats = %+v, %v", stats, err)
	}
	if err := e.acd.AgentAnswered(ctx, "demo", "c1", "a1"); err != nil {
		t.Fatal(err)
	}
	answeredAt := t0.Add(13 * time.Second)
	ci := callevent.Call{ID: "c1", Tenant: "demo", Caller: "13800138000", Callee: "1001", Start: t0, Answered: answeredAt}
	// The agent's phone ringing for the queue's offer is not a second call.ringing.
	e.adapter.CallRinging(callevent.Ringing{Call: ci, Ext: "1001"})
	e.adapter.CallAnswered(callevent.Answered{Call: ci})
	e.adapter.CallHold(callevent.Hold{Call: ci, Held: true})
	e.adapter.CallHold(callevent.Hold{Call: ci, Held: false})
	e.adapter.CallTransferred("demo", "c1", "", "1003", false)
	e.adapter.CallEnded(callevent.Ended{Call: ci, CDR: callevent.CDR{Caller: "13800138000", Callee: "1001", Start: t0, Answer: answeredAt,
		End: answeredAt.Add(time.Minute), Ring: 13 * time.Second, Talk: time.Minute, Disposition: "answered", HangupSide: "caller", HangupCause: "bye", SIPCode: 200}})

	var st protocol.AgentState
	if err := nextOf(t, a1, protocol.EventAgentState).Decode(&st); err != nil || st.State != "on_call" || st.Call != "c1" || st.Queue != "hotline" {
		t.Fatalf("agent.state = %+v, %v", st, err)
	}
	want := []string{protocol.EventCallAnswered, protocol.EventCallHeld, protocol.EventCallResumed, protocol.EventCallTransferred, protocol.EventCallEnded}
	var ended protocol.CallEnded
	for _, typ := range want {
		ev := next(t, a1)
		if ev.Type != typ {
			t.Fatalf("got %s, want %s", ev.Type, typ)
		}
		if typ == protocol.EventCallEnded {
			_ = ev.Decode(&ended)
		}
	}
	if ended.Agent != "a1" || ended.Queue != "hotline" || ended.WaitS != 13 || ended.TalkS != 60 || ended.Disposition != "answered" || ended.SIPCode != 200 {
		t.Fatalf("call.ended = %+v", ended)
	}
	// The queue's watchers see the call's events too.
	if ev := nextOf(t, wall, protocol.EventCallEnded); ev.Seq == 0 {
		t.Fatal("no seq")
	}

	// A direct call to a2's extension reaches a2 through the directory.
	a2 := e.dial(tokAgent2)
	if _, err := a2.Subscribe(ctx, "agent:a2"); err != nil {
		t.Fatal(err)
	}
	e.adapter.CallAnswered(callevent.Answered{Call: callevent.Call{ID: "d1", Tenant: "demo", Caller: "1003", Callee: "1002", Answered: t0}})
	var ans protocol.CallAnswered
	if err := nextOf(t, a2, protocol.EventCallAnswered).Decode(&ans); err != nil || ans.Agent != "a2" || ans.Queue != "" {
		t.Fatalf("direct call.answered = %+v, %v", ans, err)
	}
}

// A call between two agents' extensions, no queue: the callee's bar gets
// call.ringing once (its phone ringing again, or a second contact, is the
// same ring), and both bars follow the answer and the end.
func TestAgentToAgentCallReachesBothBars(t *testing.T) {
	e := newEnv(t, cti.Config{})
	ctx := e.cctx()
	a1, a2 := e.dial(tokAgent1), e.dial(tokAgent2)
	if _, err := a1.Subscribe(ctx, "agent:a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a2.Subscribe(ctx, "agent:a2"); err != nil {
		t.Fatal(err)
	}
	ci := callevent.Call{ID: "d2", Tenant: "demo", Caller: "1001", Callee: "1002", Start: t0}
	e.adapter.CallRinging(callevent.Ringing{Call: ci, Ext: "1002"})
	e.adapter.CallRinging(callevent.Ringing{Call: ci, Ext: "1002"})
	e.adapter.CallRinging(callevent.Ringing{Call: callevent.Call{ID: "d3", Tenant: "demo", Caller: "1001", Callee: "1009"}, Ext: "1009"}) // no agent's
	ci.Answered = t0.Add(3 * time.Second)
	e.adapter.CallAnswered(callevent.Answered{Call: ci})
	e.adapter.CallEnded(callevent.Ended{Call: ci, CDR: callevent.CDR{Caller: "1001", Callee: "1002", Start: t0, Answer: ci.Answered,
		End: ci.Answered.Add(time.Minute), Talk: time.Minute, Disposition: "answered"}})

	ev := next(t, a2)
	var ring protocol.CallRinging
	if err := ev.Decode(&ring); err != nil || ev.Type != protocol.EventCallRinging || ring.Call != "d2" || ring.Agent != "a2" ||
		ring.Queue != "" || ring.Caller != "1001" {
		t.Fatalf("a2 first got %s %+v (%v), want call.ringing for d2", ev.Type, ring, err)
	}
	for _, c := range []struct {
		name string
		cl   *client.Client
	}{{"a2", a2}, {"a1", a1}} {
		for _, typ := range []string{protocol.EventCallAnswered, protocol.EventCallEnded} {
			ev := next(t, c.cl)
			var d struct{ Call, Agent string }
			if err := ev.Decode(&d); err != nil || ev.Type != typ || d.Call != "d2" || d.Agent != "a2" {
				t.Fatalf("%s got %s %+v (%v), want %s of d2 (agent a2)", c.name, ev.Type, d, err, typ)
			}
		}
	}
}

func TestCallbackAndOverflowEvents(t *testing.T) {
	e := newEnv(t, cti.Config{})
	ctx := e.cctx()
	wall := e.dial(tokWall)
	if _, err := wall.Subscribe(ctx, "queue:hotline", "queue:complaints"); err != nil {
		t.Fatal(err)
	}
	if err := e.acd.Enqueue(ctx, "demo", acd.Call{ID: "c2", Queue: "hotline", Caller: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	if err := e.acd.AcceptCallback(ctx, "demo", "c2", "13912345678"); err != nil {
		t.Fatal(err)
	}
	var cb protocol.CallbackCreated
	if err := nextOf(t, wall, protocol.EventCallbackCreated).Decode(&cb); err != nil || cb.Number != "13912345678" || cb.Queue != "hotline" {
		t.Fatalf("callback.created = %+v, %v", cb, err)
	}
	// Overflow events name both queues, so the target queue's watchers see it.
	e.adapter.ACDEvent(acd.OverflowEvent{Tenant: "demo", At: t0, Call: acd.CallView{Call: acd.Call{ID: "c3", Queue: "hotline"}},
		From: "hotline", To: acd.Target{Kind: acd.TargetQueue, Value: "complaints"}})
	var of protocol.CallOverflowed
	if err := nextOf(t, wall, protocol.EventCallOverflowed).Decode(&of); err != nil || of.To != "queue:complaints" || of.Queue != "hotline" {
		t.Fatalf("call.overflowed = %+v, %v", of, err)
	}
}
