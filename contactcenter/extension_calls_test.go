package contactcenter_test

import (
	"testing"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/pbx/callevent"
)

// answered tells every call observer that call id was answered (or bridged
// again) between caller and connected, as the B2BUA does.
func (h *harness) answered(id, caller, connected string) {
	h.t.Helper()
	ev := callevent.Answered{Call: callevent.Call{ID: id, Tenant: tenant, Caller: caller, Callee: connected, Connected: connected,
		State: "answered", Answered: h.clk.Now()}}
	for _, o := range h.cc.CallObservers() {
		if ao, ok := o.(callevent.AnswerObserver); ok {
			ao.CallAnswered(ev)
		}
	}
	h.sync()
}

// transferred tells every call observer that from completed a transfer of
// call id to to.
func (h *harness) transferred(id, from, to string) {
	h.t.Helper()
	ev := callevent.Transfer{Call: callevent.Call{ID: id, Tenant: tenant}, Mode: callevent.TransferBlind,
		State: callevent.ConsultCompleted, From: from, To: to}
	for _, o := range h.cc.CallObservers() {
		if tobs, ok := o.(callevent.TransferObserver); ok {
			tobs.CallTransfer(ev)
		}
	}
	h.sync()
}

func (h *harness) onDirectCall(id string) {
	h.t.Helper()
	if st := h.agent(id); st.State != acd.OnCall || st.Reason != acd.ReasonExtension {
		h.t.Fatalf("%s = %s (%s), want on_call (extension)", id, st.State, st.Reason)
	}
}

// A citizen who dials an agent's extension keeps the ACD's offers away from
// them while they talk; the waiting queue caller is offered once they hang up.
func TestCallToAnAgentsExtensionBusiesThem(t *testing.T) {
	h := newHarness(t, 1, queue("support", acd.LongestIdle, "a1"))
	h.answered("d1", "13800138000", "1001")
	h.onDirectCall("a1")

	caller := newCall("c1")
	res := h.wait(caller, newSession(caller), ivr.QueueRequest{Queue: "support"})
	h.eventually("c1 waiting", func() bool {
		st, _ := h.cc.ACD.QueueStats(h.ctx, tenant)
		return len(st) == 1 && st[0].Waiting == 1
	})
	h.sync()
	if caller.isRinging("1001") {
		t.Fatal("a queue call rang an agent talking on their extension")
	}
	h.ended("d1", "answered")
	h.eventually("1001 rings for c1", func() bool { return caller.isRinging("1001") })
	caller.hangUp()
	h.result(res)
}

// A call between two agents busies both; each goes back to where the call
// found them, a break with its reason included.
func TestCallBetweenTwoAgentsBusiesBoth(t *testing.T) {
	h := newHarness(t, 2, queue("support", acd.LongestIdle, "a1", "a2"))
	if err := h.cc.ACD.NotReady(h.ctx, tenant, "a2", "training"); err != nil {
		t.Fatal(err)
	}
	h.answered("d1", "1001", "1002")
	h.onDirectCall("a1")
	h.onDirectCall("a2")
	// A re-INVITE's second report changes nothing.
	h.answered("d1", "1001", "1002")
	h.ended("d1", "answered")
	h.agentState("a1", acd.Ready)
	if st := h.agent("a2"); st.State != acd.NotReady || st.Reason != "training" {
		t.Fatalf("a2 after the call = %s (%s), want not ready (training)", st.State, st.Reason)
	}
	if st := h.agent("a1"); st.Today.Handled != 1 {
		t.Errorf("a1 handled %d calls today, want 1", st.Today.Handled)
	}
}

// An agent who transfers a direct call away is free at once; the agent it
// was transferred to is busy until it ends.
func TestDirectCallTransferredBetweenAgents(t *testing.T) {
	h := newHarness(t, 2, queue("support", acd.LongestIdle, "a1", "a2"))
	h.answered("d1", "13800138000", "1001")
	h.onDirectCall("a1")
	h.transferred("d1", "1001", "1002")
	h.agentState("a1", acd.Ready)
	h.answered("d1", "13800138000", "1002")
	h.onDirectCall("a2")
	h.agentState("a1", acd.Ready)
	h.ended("d1", "answered")
	h.agentState("a2", acd.Ready)
}

// An attended transfer hands the agent from the consultation to the
// transferred call without making them ready in between; the consulting
// agent, busy with a queue call, is left to the ACD.
func TestConsultationHandsTheAgentOver(t *testing.T) {
	h, sess, res := answered(t) // a1 on queue call c1
	h.answered("c1", "13800138000", "1001")
	if st := h.agent("a1"); st.Call != "c1" {
		t.Fatalf("a1 = %+v, want still on the ACD's call c1", st)
	}
	// a1 consults a2, then completes.
	h.answered("k1", "1001", "1002")
	h.onDirectCall("a2")
	h.transferred("c1", "1001", "1002")
	h.answered("c1", "13800138000", "1002")
	h.ended("k1", "answered")
	h.onDirectCall("a2")
	h.ended("c1", "answered")
	h.agentState("a2", acd.Ready)
	close(sess.ended)
	h.result(res)
}
