package boot

import (
	"context"
	"log/slog"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/pbx/guard"
)

// banAudit writes the guard's automatic bans to the audit chain, in the
// platform tenant, as the process's own action.
type banAudit struct {
	log    *audit.Log
	tenant string
	warn   *slog.Logger
}

var _ guard.BanAuditor = banAudit{}

func (a banAudit) AutoBan(ctx context.Context, b guard.Ban) {
	_, err := a.log.Append(ctx, audit.Entry{Tenant: a.tenant, Actor: "system", Action: "guard.ban",
		Target: "ip/" + b.IP.String(), Outcome: audit.OutcomeOK, Source: b.IP.String(),
		Detail: b.Reason + " until " + b.Until.UTC().Format(time.RFC3339)})
	if err != nil {
		a.warn.Warn("audit of an automatic ban failed", "ip", b.IP.String(), "err", err)
	}
}
