package adminapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/rbac"
)

// Security is what the admin API is guarded with: who the caller is
// (internal/auth), what they may do (internal/rbac) and the record of both
// (internal/audit). cmd/pbx/boot builds it; docs/security.md explains it.
type Security struct {
	Auth  *auth.Service
	RBAC  *rbac.Service
	Audit *audit.Log
	// PlatformTenant's principals act on every tenant with the grants they
	// hold in it; everyone else acts only in their own tenant.
	PlatformTenant string
	// Alarm is told about integrity failures the admin API finds (optional;
	// rbac raises its own through its Deps.Alarm).
	Alarm func(ctx context.Context, kind, detail string)
}

// BreakGlassSubject is the principal the static admin token (http.admin_token_file
// or YIMEN_ADMIN_TOKEN) authenticates as. cmd/pbx/boot gives it the sysadmin
// role in the platform tenant only while a token is configured.
const BreakGlassSubject = "breakglass"

// Auditor appends to the tamper-evident audit log. Feature packages record
// through it (the recorder: every access to a recording).
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (int64, error)
}

// Auditor is the audit log, or one that only logs when there is none.
func (sec *Security) Auditor(log *slog.Logger) Auditor {
	if sec == nil || sec.Audit == nil {
		return logAuditor{log}
	}
	return sec.Audit
}

type logAuditor struct{ log *slog.Logger }

func (l logAuditor) Append(ctx context.Context, e audit.Entry) (int64, error) {
	l.log.WarnContext(ctx, "audit (no audit log configured)", "audit", true, "action", e.Action, "actor", e.Actor,
		"target", e.Target, "outcome", e.Outcome, "tenant", e.Tenant)
	return 0, nil
}

// breakGlassAuthn resolves credentials: the break-glass token first, then
// sessions and API tokens through internal/auth.
type breakGlassAuthn struct {
	svc    *auth.Service
	token  string
	tenant string
}

var _ auth.Authenticator = breakGlassAuthn{}

func (a breakGlassAuthn) Authenticate(ctx context.Context, tok string) (*auth.Principal, error) {
	if a.token != "" && equalSecret(tok, a.token) {
		return &auth.Principal{UserID: BreakGlassSubject, Tenant: a.tenant, Name: "break-glass", Kind: auth.KindToken, Method: "breakglass"}, nil
	}
	return a.svc.Authenticate(ctx, tok)
}

func (a breakGlassAuthn) AuthenticateToken(ctx context.Context, tok string) (*auth.Principal, error) {
	return a.svc.AuthenticateToken(ctx, tok)
}

// equalSecret compares in constant time, whatever the lengths.
func equalSecret(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}
