package boot

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/pbx/trunk"
)

// trunkAudit writes what the trunks see to the audit chain: calls the
// toll-fraud controls or a cap refused (alarms a NOC watches) and trunks
// going up or down.
type trunkAudit struct {
	log  *audit.Log
	warn *slog.Logger
}

var _ trunk.Alarms = trunkAudit{}

func (a trunkAudit) TrunkAlarm(ctx context.Context, tenant, action, target, detail string) {
	outcome := audit.OutcomeAlarm
	if action == "trunk.up" || action == "trunk.down" {
		outcome = audit.OutcomeOK
	}
	if strings.HasPrefix(action, "trunk.emergency") {
		outcome = audit.OutcomeOK
	}
	if _, err := a.log.Append(ctx, audit.Entry{Tenant: tenant, Actor: "system", Action: action, Target: target, Outcome: outcome, Detail: detail}); err != nil {
		a.warn.Warn("audit of a trunk event failed", "action", action, "tenant", tenant, "err", err)
	}
}

// wireTrunks sends trunk alarms to the audit log and state changes to the
// tenant's CTI clients (publish is nil without a contact centre).
func (p *PBX) wireTrunks(publish func(tenant, typ string, data any)) {
	t := p.Server.Trunks()
	if t.Empty() {
		return
	}
	t.SetAlarms(trunkAudit{log: p.Security.Platform.Audit, warn: p.Log})
	if publish == nil {
		return
	}
	t.OnChange(func(c trunk.Change) {
		publish(c.Tenant, protocol.EventTrunkState, protocol.TrunkState{Trunk: c.Trunk, State: string(c.State), Reason: c.Reason,
			Since: c.At.UTC().Format(time.RFC3339)})
	})
}
