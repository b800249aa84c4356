package cti

import (
	"context"

	"github.com/yimen/yimen/acd"
)

// AgentControl is what agent commands need; *acd.ACD implements it.
type AgentControl interface {
	Login(ctx context.Context, tenant, agentID string) error
	Logout(ctx context.Context, tenant, agentID string) error
	Ready(ctx context.Context, tenant, agentID string) error
	NotReady(ctx context.Context, tenant, agentID, reason string) error
	WrapUpDone(ctx context.Context, tenant, agentID string) error
	ForceState(ctx context.Context, tenant, agentID string, st acd.State, reason string) error
	// AgentQueues lists the queues an agent is a member of: the queue
	// topics an agent may follow.
	AgentQueues(ctx context.Context, tenant, agentID string) ([]string, error)
}

var _ AgentControl = (*acd.ACD)(nil)

// CallControl is what call commands need; the PBX implements it. agentID is
// the agent the command acts for, so the PBX can check the call is theirs.
type CallControl interface {
	Answer(ctx context.Context, tenant, agentID, callID string) error
	Hangup(ctx context.Context, tenant, agentID, callID string) error
	// Dial rings the agent's endpoint, then to, presenting callerID.
	Dial(ctx context.Context, tenant, agentID, to, callerID string) (callID string, err error)
	Hold(ctx context.Context, tenant, agentID, callID string) error
	Unhold(ctx context.Context, tenant, agentID, callID string) error
	// Transfer moves the other party to to (blind), or completes the
	// running consultation (attended; to is then "" or the party consulted).
	Transfer(ctx context.Context, tenant, agentID, callID, to string, attended bool) error
	// Consult holds the other party and rings to; ConsultCancel goes back.
	Consult(ctx context.Context, tenant, agentID, callID, to string) error
	ConsultCancel(ctx context.Context, tenant, agentID, callID string) error
	Conference(ctx context.Context, tenant, agentID, callID, to string) error
	DTMF(ctx context.Context, tenant, agentID, callID, digits string) error
}

// MonitorMode is how a supervisor joins an agent's call.
type MonitorMode string

// Monitor modes.
const (
	Listen  MonitorMode = "listen"  // hears both sides, heard by nobody
	Whisper MonitorMode = "whisper" // heard by the agent only
	Barge   MonitorMode = "barge"   // a full three-way call
)

// Monitoring is what the supervisor commands need; the PBX implements it.
type Monitoring interface {
	// Monitor rings the supervisor's endpoint and joins it to the agent's
	// current call in the given mode.
	Monitor(ctx context.Context, tenant, supervisorID, agentID string, mode MonitorMode) (callID string, err error)
}

// Browser is what webrtc.open and webrtc.close need: the browser agents'
// media sessions (contactcenter, over the PBX's pbx/webrtc). owner names the
// CTI connection that opened a session: when it closes, Detach(owner) puts
// the session's call on hold until the agent opens it again.
type Browser interface {
	Open(ctx context.Context, tenant, agentID string, owner uint64, offer string) (answer string, err error)
	Close(ctx context.Context, tenant, agentID string) error
	Detach(owner uint64)
	// Attached reports whether the agent's device is its browser (call.ringing's device).
	Attached(tenant, agentID string) bool
}
