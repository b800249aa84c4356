package contactcenter_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/contactcenter"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/pbx/callevent"
)

// answered puts caller c1 through to a1 of queue support (wrap-up 30 s).
func answered(t *testing.T) (*harness, *fakeSession, <-chan result) {
	q := queue("support", acd.LongestIdle, "a1")
	q.WrapUp = 30 * time.Second
	h := newHarness(t, 2, q)
	call := newCall("c1")
	sess := newSession(call)
	res := h.wait(call, sess, ivr.QueueRequest{Queue: "support"})
	h.eventually("1001 rings", func() bool { return call.isRinging("1001") })
	call.answer(t, "1001")
	h.agentState("a1", acd.OnCall)
	<-sess.bridged
	return h, sess, res
}

// An agent who transfers a queue call away (CTI, blind or attended) is
// done with it: wrap-up starts at once, not when the transferred call ends.
func TestCTITransferFromTheQueue(t *testing.T) {
	for _, attended := range []bool{false, true} {
		h, sess, res := answered(t)
		if err := h.cc.Transfer(h.ctx, tenant, "a1", "c1", "2000", attended); err != nil {
			t.Fatal(err)
		}
		want := "blind demo c1 1001→2000"
		if attended {
			want = "complete demo c1 1001→2000"
		}
		if got := h.calls.log(); !slices.Equal(got, []string{want}) {
			t.Fatalf("attended %v: PBX told %q, want %q", attended, got, want)
		}
		if st := h.agent("a1"); st.State != acd.WrapUp {
			t.Fatalf("attended %v: agent after transfer = %+v, want wrap_up", attended, st)
		}
		close(sess.ended)
		h.result(res)
	}
}

// A failed transfer leaves the agent on the call.
func TestCTITransferRefusedKeepsTheAgentOnTheCall(t *testing.T) {
	h, sess, res := answered(t)
	h.calls.err = errNoPhone
	if err := h.cc.Transfer(h.ctx, tenant, "a1", "c1", "2000", false); !errors.Is(err, errs.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if st := h.agent("a1"); st.State != acd.OnCall {
		t.Fatalf("agent = %+v", st)
	}
	close(sess.ended)
	h.result(res)
}

// A transfer made from the agent's desk phone (REFER) frees them the same way.
func TestPhoneTransferFromTheQueue(t *testing.T) {
	h, sess, res := answered(t)
	tr := contactcenter.Transfers{ACD: h.cc.ACD}
	ci := callevent.Call{ID: "c1", Tenant: tenant}
	tr.CallTransfer(callevent.Transfer{Call: ci, Mode: "attended", State: callevent.ConsultRinging, From: "1001", To: "2000"})
	if st := h.agent("a1"); st.State != acd.OnCall {
		t.Fatalf("a consultation still ringing ended the agent's call: %+v", st)
	}
	tr.CallTransfer(callevent.Transfer{Call: ci, Mode: "blind", State: callevent.ConsultCompleted, From: "1001", To: "2000"})
	if st := h.agent("a1"); st.State != acd.WrapUp {
		t.Fatalf("agent after a REFER = %+v, want wrap_up", st)
	}
	close(sess.ended)
	h.result(res)
}

// Call commands act from the agent's extension.
func TestCallControlUsesTheAgentsExtension(t *testing.T) {
	h := newHarness(t, 2, queue("support", acd.LongestIdle, "a1"))
	ctx := h.ctx
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.cc.Hold(ctx, tenant, "a1", "c9"))
	must(h.cc.Unhold(ctx, tenant, "a1", "c9"))
	must(h.cc.Consult(ctx, tenant, "a1", "c9", "2000"))
	must(h.cc.ConsultCancel(ctx, tenant, "a1", "c9"))
	must(h.cc.Conference(ctx, tenant, "a2", "c9", "2001"))
	must(h.cc.DTMF(ctx, tenant, "a2", "c9", "12#"))
	must(h.cc.Hangup(ctx, tenant, "a2", "c9"))
	id, err := h.cc.Dial(ctx, tenant, "a2", "13800138000", "4000")
	must(err)
	mid, err := h.cc.Monitor(ctx, tenant, "a2", "a1", cti.Whisper)
	must(err)
	must(h.cc.Answer(ctx, tenant, "a1", "c9"))
	want := []string{
		"hold demo c9 1001 true", "hold demo c9 1001 false", "consult demo c9 1001→2000", "cancel demo c9 1001",
		"conference demo c9 1002→2001", "dtmf demo c9 1002 12#", "hangup demo c9 1002",
		`originate demo 1002→13800138000 as "4000"`, "monitor demo 1002→1001 mode 2", "answer demo c9 1001",
	}
	if got := h.calls.log(); !slices.Equal(got, want) || id != "dialled" || mid != "monitor" {
		t.Fatalf("PBX told\n%q\nwant\n%q", got, want)
	}
	if _, err := h.cc.Monitor(ctx, tenant, "a2", "a1", "shout"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("unknown monitor mode: %v", err)
	}
	if err := h.cc.Hold(ctx, tenant, "a9", "c9"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	h.calls.err = callevent.ErrNoRemoteAnswer
	var perr *protocol.Error
	if err := h.cc.Answer(ctx, tenant, "a1", "c9"); !errors.As(err, &perr) || perr.Code != protocol.CodeUnsupported {
		t.Errorf("a phone without remote answer: %v, want CTI code unsupported", err)
	}
}

// With login_on_register an agent is logged in and ready when their phone
// registers and logged out when it unregisters; other tenants are left alone.
func TestRegistrationLogsAgentsInAndOut(t *testing.T) {
	h := newHarness(t, 0)
	agents := []acd.AgentConfig{{ID: "a1", Name: "A", Endpoint: "1001"}}
	if err := h.cc.AddTenant(h.ctx, acd.TenantConfig{Tenant: "phones", Location: time.UTC, Agents: agents}, false, true); err != nil {
		t.Fatal(err)
	}
	if err := h.cc.AddTenant(h.ctx, acd.TenantConfig{Tenant: "desks", Location: time.UTC, Agents: agents}, false, false); err != nil {
		t.Fatal(err)
	}
	state := func(tn string) acd.State {
		st, err := h.cc.ACD.Agent(h.ctx, tn, "a1")
		if err != nil {
			t.Fatal(err)
		}
		return st.State
	}
	h.cc.RegistrationChanged("phones", "1001", true)
	h.cc.RegistrationChanged("desks", "1001", true)
	h.cc.RegistrationChanged("phones", "1009", true) // no agent's extension
	if state("phones") != acd.Ready || state("desks") != acd.LoggedOut {
		t.Fatalf("after registering: phones %s, desks %s", state("phones"), state("desks"))
	}
	h.cc.RegistrationChanged("phones", "1001", false)
	if state("phones") != acd.LoggedOut {
		t.Fatalf("after unregistering: %s", state("phones"))
	}
}
