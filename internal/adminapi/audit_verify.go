package adminapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
)

// auditGate answers the audit log's own handlers: a platform auditor sees
// every tenant, any other only their own (the audit permissions are
// tenant-wide: the administrators' roles are fixed).
func (a *API) auditGate(ctx context.Context, perm string) (actor, tenant string, err error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return "", "", errs.ErrUnavailable
	}
	if err := a.sec.RBAC.Authorize(ctx, p, perm, rbac.Scope{}); err != nil {
		return "", "", err
	}
	if a.isPlatform(p) {
		return p.UserID, "", nil
	}
	return p.UserID, p.Tenant, nil
}

type verifyJSON struct {
	OK           bool   `json:"ok"`
	Rows         int    `json:"rows"`
	FirstRow     int64  `json:"first_row"`
	LastRow      int64  `json:"last_row"`
	Signatures   int    `json:"signatures"`
	LastSigned   int64  `json:"last_signed"`
	BrokenRow    int64  `json:"broken_row,omitempty"`
	Reason       string `json:"reason,omitempty"`
	AnchorID     int64  `json:"anchor_id"`
	UnsignedTail int    `json:"unsigned_tail"`
}

// auditVerify walks the chain and names the first broken row; a broken
// chain also raises an alarm.
func (a *API) auditVerify(w http.ResponseWriter, r *http.Request) {
	if a.sec.Audit == nil {
		unavailable(w, r)
		return
	}
	rep, err := a.sec.Audit.Verify(r.Context())
	if err != nil {
		a.fail(w, r, "verify the audit log", err)
		return
	}
	if !rep.OK && a.sec.Alarm != nil {
		a.sec.Alarm(r.Context(), "audit_chain", fmt.Sprintf("audit chain broken at row %d: %s", rep.BrokenRow, rep.Reason))
	}
	httpx.WriteJSON(w, http.StatusOK, verifyJSON{OK: rep.OK, Rows: rep.Rows, FirstRow: rep.FirstRow, LastRow: rep.LastRow, Signatures: rep.Signatures,
		LastSigned: rep.LastSigned, BrokenRow: rep.BrokenRow, Reason: rep.Reason, AnchorID: rep.AnchorID, UnsignedTail: rep.UnsignedTail})
}
