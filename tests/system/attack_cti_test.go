package system_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/tests/testpbx"
)

// An agent sends call.hangup for a colleague's call by its id: refused
// (forbidden), the call goes on; the agent on the call may end it.
func TestAttackAgentHangsUpAColleaguesCall(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	p.Callee(t, "1003", "127.0.169.3", "uas_answer.xml", true, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	stranger := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1002"))
	owner := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1001"))
	done := make(chan *sipp.Result, 1)
	go func() {
		done <- p.Call(t, "1001", "127.0.169.1", sipp.Scenario("uac_call.xml"), "1003", map[string]string{"talk_ms": "10000"})
	}()
	callID := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.State == "answered" }).ID

	err := stranger.Hangup(ctx, "a1002", callID)
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.Code != protocol.CodeForbidden {
		t.Fatalf("a colleague's hang-up: %v, want %s", err, protocol.CodeForbidden)
	}
	if still := waitCall(t, p, func(c b2bua.CallInfo) bool { return c.ID == callID }); still.State != "answered" {
		t.Fatalf("the call after a refused hang-up: %+v", still)
	}
	// Acting for the owner by name is no way round it either.
	if err := stranger.Hangup(ctx, "a1001", callID); err == nil {
		t.Fatal("an agent hung up a call acting for another agent")
	}
	if err := owner.Hangup(ctx, "a1001", callID); err != nil {
		t.Fatalf("the agent on the call: %v", err)
	}
	// The caller's scenario fails on the PBX's BYE: its call was ended.
	if res := <-done; res.Failed != 1 {
		t.Errorf("caller: %+v, want its call ended by the hang-up", res.Counters)
	}
	if c := lastCDR(t, p, 1); c.ID != callID || c.HangupCause != "cti_hangup" {
		t.Fatalf("CDR %+v, want the call ended by the agent on it", c)
	}
}

// A supervisor bound to queue "support" acts only for that queue's agents
// and follows only that queue; once the security administrator revokes
// call.monitor from the supervisor role, listening in is refused at the
// next command, whatever the role is called.
func TestAttackSupervisorRightsComeFromRBAC(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t, func(c *config.Config) { c.Admin.TenantAdmins = true })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	c := testpbx.NewClient(t, p, "127.0.121.1")
	sec := c.Login("demo", "secadmin", p.Admins["demo/secadmin"])
	supID, supSession := c.NewUser(p.BreakGlass, "demo", "dave")
	c.Assign(sec, supID, "supervisor", []string{"support"}, "a1009")
	sup, err := tryCTI(t, p, supSession)
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.ForceState(ctx, "a1002", "not_ready", "meeting"); err != nil {
		t.Fatalf("force state of an agent of the supervisor's queue: %v", err)
	}
	if err := sup.ForceState(ctx, "a1001", "not_ready", "meeting"); codeOfErr(err) != protocol.CodeForbidden {
		t.Fatalf("force state of an agent outside the supervisor's queues: %v, want forbidden", err)
	}
	if _, err := sup.Subscribe(ctx, "tenant"); codeOfErr(err) != protocol.CodeForbidden {
		t.Fatalf("a queue-bound supervisor followed the whole tenant: %v", err)
	}
	if _, err := sup.Subscribe(ctx, "queue:support"); err != nil {
		t.Fatalf("the supervisor's own queue: %v", err)
	}
	// Listening to an idle agent fails, but not for want of the right.
	if err := sup.Do(ctx, protocol.CmdSupervisorListen, protocol.Monitor{Agent: "a1002"}, nil); codeOfErr(err) == protocol.CodeForbidden {
		t.Fatalf("listen with call.monitor: %v", err)
	}
	if r := c.Do("DELETE", "/api/v1/roles/supervisor/permissions/call.monitor", sec, nil, nil); r.Code != 204 {
		t.Fatalf("revoke call.monitor: %d %s", r.Code, r.Body)
	}
	if err := sup.Do(ctx, protocol.CmdSupervisorListen, protocol.Monitor{Agent: "a1002"}, nil); codeOfErr(err) != protocol.CodeForbidden {
		t.Fatalf("listen after call.monitor was revoked: %v, want forbidden", err)
	}
}

// codeOfErr is the CTI error code of err, "" when it carries none.
func codeOfErr(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return perr.Code
	}
	return ""
}
