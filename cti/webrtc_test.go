package cti_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
)

// webrtc.open acts for the principal's own agent (or, for the system role,
// any agent of the tenant), never another's; the connection's end detaches
// the sessions it opened, and logout closes the agent's.
func TestWebRTCOpenRightsDetachAndLogout(t *testing.T) {
	e := newEnv(t, cti.Config{})
	ctx := e.cctx()
	ag := e.dial(tokAgent1)
	if answer, err := ag.WebRTCOpen(ctx, "", "v=0 offer"); err != nil || answer != exampleAnswer {
		t.Fatalf("own open = %q, %v", answer, err)
	}
	var pe *protocol.Error
	if _, err := ag.WebRTCOpen(ctx, "a2", "v=0 offer"); !errors.As(err, &pe) || pe.Code != protocol.CodeForbidden {
		t.Errorf("another agent's open: %v, want forbidden", err)
	}
	if err := ag.WebRTCClose(ctx, "a2"); !errors.As(err, &pe) || pe.Code != protocol.CodeForbidden {
		t.Errorf("another agent's close: %v, want forbidden", err)
	}
	if _, err := ag.WebRTCOpen(ctx, "", ""); !errors.As(err, &pe) || pe.Code != protocol.CodeBadRequest {
		t.Errorf("an empty offer: %v, want bad_request", err)
	}
	other := e.dial(tokOther) // another tenant's agent a1
	if _, err := other.WebRTCOpen(ctx, "", "v=0 offer"); err != nil {
		t.Fatal(err)
	}
	sys := e.dial(tokSys)
	if _, err := sys.WebRTCOpen(ctx, "a2", "v=0 offer"); err != nil {
		t.Errorf("the system role opening for a2: %v", err)
	}
	if got := strings.Join(e.calls.take(), "|"); got != "webrtc.open demo a1|webrtc.open other a1|webrtc.open demo a2" {
		t.Errorf("calls = %s", got)
	}

	ag.Close()
	deadline := time.Now().Add(5 * time.Second)
	for got := ""; got != "webrtc.detach demo/a1"; got = strings.Join(e.calls.take(), "|") {
		if time.Now().After(deadline) {
			t.Fatalf("no detach for the closed connection's session (last %q)", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := e.acd.Login(ctx, "demo", "a2"); err != nil {
		t.Fatal(err)
	}
	if err := sys.Logout(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.calls.take(), "|"); got != "webrtc.close demo a2" {
		t.Errorf("logout: calls = %q, want the session closed", got)
	}
}
