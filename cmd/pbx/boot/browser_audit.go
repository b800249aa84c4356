package boot

import (
	"context"
	"log/slog"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/pbx/webrtc"
)

// browserAudit writes each change of a browser agent's media session to
// the audit chain (in the agent's tenant) before the CTI and the ACD hear
// of it: a customer held while an agent's page was gone, and the agent set
// not ready for it, leave a trail a supervisor can check.
type browserAudit struct {
	next webrtc.Observer
	log  *audit.Log
	warn *slog.Logger
}

var _ webrtc.Observer = browserAudit{}

func (a browserAudit) SessionState(tenant, agent, state string) {
	a.append(tenant, agent, "webrtc."+state, "")
	a.next.SessionState(tenant, agent, state)
}

func (a browserAudit) AgentGone(tenant, agent string) {
	a.append(tenant, agent, "webrtc.agent_gone", "browser not re-opened within webrtc.reattach_timeout: call ended, agent not ready")
	a.next.AgentGone(tenant, agent)
}

func (a browserAudit) append(tenant, agent, action, detail string) {
	_, err := a.log.Append(context.Background(), audit.Entry{Tenant: tenant, Actor: "agent/" + agent, Action: action,
		Target: "agent/" + agent, Outcome: audit.OutcomeOK, Detail: detail})
	if err != nil {
		a.warn.Warn("audit of a browser session change failed", "tenant", tenant, "agent", agent, "action", action, "err", err)
	}
}
