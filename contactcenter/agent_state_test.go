package contactcenter_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/pbx/callevent"
)

// ended tells every call observer of the contact centre that a call ended,
// as the PBX does.
func (h *harness) ended(id, disposition string) {
	h.t.Helper()
	ev := callevent.Ended{Call: callevent.Call{ID: id, Tenant: tenant, State: "ended"},
		CDR: callevent.CDR{Disposition: disposition, End: h.clk.Now()}}
	n := 0
	for _, o := range h.cc.CallObservers() {
		if eo, ok := o.(callevent.EndObserver); ok {
			eo.CallEnded(ev)
			n++
		}
	}
	if n == 0 {
		h.t.Fatal("no observer hears calls end")
	}
	h.sync()
}

// A call the agent places from the bar keeps the ACD's offers away while it
// lasts; nobody answering sends the agent to wrap-up, an answered one back
// to ready.
func TestPlacedCallBusiesTheAgentAndAFailedOneWrapsUp(t *testing.T) {
	h := newHarnessWith(t, func(tc *acd.TenantConfig) { tc.OutboundWrapUp = 15 * time.Second }, 1, queue("support", acd.LongestIdle, "a1"))
	id, err := h.cc.Dial(h.ctx, tenant, "a1", "13800138000", "")
	if err != nil {
		t.Fatal(err)
	}
	if st := h.agent("a1"); st.State != acd.OnCall || st.Call != id {
		t.Fatalf("placing a call: %+v, want on_call for %s", st, id)
	}
	h.ended(id, "no_answer")
	if st := h.agent("a1"); st.State != acd.WrapUp || !st.WrapUpUntil.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("after nobody answered: %+v, want wrap-up for 15 s", st)
	}
	h.clk.Advance(15 * time.Second)
	h.agentState("a1", acd.Ready)

	id, err = h.cc.Dial(h.ctx, tenant, "a1", "13800138000", "")
	if err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(40 * time.Second)
	h.ended(id, "answered")
	st := h.agent("a1")
	if st.State != acd.Ready || st.Today.Handled != 2 || st.Today.Talk != 40*time.Second || st.Today.WrapUp != 15*time.Second {
		t.Fatalf("after an answered call: %+v, want ready, 2 handled, 40 s talk, 15 s wrap-up", st)
	}
	// The end of a call nobody placed through the bar changes nothing.
	h.ended("c-other", "no_answer")
	h.agentState("a1", acd.Ready)
}

// An agent whose desk phone loses its last registration is offered no more
// calls: not ready, reason phone_gone. One already logged out stays so.
func TestUnregisteredPhoneSetsTheAgentNotReady(t *testing.T) {
	h := newHarness(t, 2, queue("support", acd.LongestIdle, "a1", "a2"))
	if err := h.cc.ACD.Logout(h.ctx, tenant, "a2"); err != nil {
		t.Fatal(err)
	}
	h.cc.RegistrationChanged(tenant, "1001", false)
	h.cc.RegistrationChanged(tenant, "1002", false)
	if st := h.agent("a1"); st.State != acd.NotReady || st.Reason != acd.ReasonPhoneGone {
		t.Fatalf("a1 = %+v, want not ready (phone_gone)", st)
	}
	h.agentState("a2", acd.LoggedOut)
	// Registering again does not make them ready behind their back.
	h.cc.RegistrationChanged(tenant, "1001", true)
	h.agentState("a1", acd.NotReady)
}

// While the PBX places the agent's call, a caller joining the queue is not
// offered to the agent: they are busy from before the call is placed, so
// the auto-answer meant for the placed call cannot pick up a queue call.
func TestNoQueueCallWhilePlacingACall(t *testing.T) {
	h := newHarness(t, 1, queue("support", acd.LongestIdle, "a1"))
	caller := newCall("c1")
	var res <-chan result
	h.calls.during = func() {
		res = h.wait(caller, newSession(caller), ivr.QueueRequest{Queue: "support"})
		h.eventually("c1 waiting", func() bool {
			st, _ := h.cc.ACD.QueueStats(h.ctx, tenant)
			return len(st) == 1 && st[0].Waiting == 1
		})
		if st := h.agent("a1"); st.State != acd.OnCall {
			t.Errorf("while the call is placed the agent is %s, want on_call (busy)", st.State)
		}
	}
	id, err := h.cc.Dial(h.ctx, tenant, "a1", "13800138000", "")
	if err != nil {
		t.Fatal(err)
	}
	if caller.isRinging("1001") {
		t.Fatal("the queue call rang the agent while their own call was being placed")
	}
	if st := h.agent("a1"); st.State != acd.OnCall || st.Call != id {
		t.Fatalf("after placing: %+v, want on_call for %s", st, id)
	}
	// Their call over, the waiting caller is offered to them.
	h.ended(id, "answered")
	h.eventually("1001 rings for c1", func() bool { return caller.isRinging("1001") })
	caller.hangUp()
	h.result(res)
}
