package pbx

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/rbac"
)

// Auditor appends to the tamper-evident audit log. Feature packages record
// through it (the recorder: every access to a recording).
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (int64, error)
}

// Audit is the PBX's audit log, or one that only logs when security is not
// configured.
func (s *Server) Audit() Auditor {
	if s.sec == nil || s.sec.Audit == nil {
		return logAuditor{s}
	}
	return s.sec.Audit
}

type logAuditor struct{ s *Server }

func (l logAuditor) Append(ctx context.Context, e audit.Entry) (int64, error) {
	l.s.log.WarnContext(ctx, "audit (no audit log configured)", "audit", true, "action", e.Action, "actor", e.Actor,
		"target", e.Target, "outcome", e.Outcome, "tenant", e.Tenant)
	return 0, nil
}

// audited writes one audit entry per admin request that matters: every
// denial (no credentials, bad CSRF token, missing permission), every change,
// every read of personal data or of the audit log, and every use of the
// break-glass token. The path goes in, never the query: it may hold a phone
// number.
func (s *Server) audited(rt route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &gateInfo{}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), gateKey{}, info)))

		e := audit.Entry{Action: rt.action, Target: r.URL.Path, Source: r.RemoteAddr, Tenant: info.tenant,
			Detail: r.Method + " " + strconv.Itoa(sw.code)}
		breakGlass := false
		if strings.ContainsFunc(e.Tenant, unicode.IsControl) {
			e.Tenant = "" // a placeholder that named no tenant
		}
		if p := info.principal; p != nil {
			e.Actor = p.UserID
			e.Detail += " by " + maskedName(p.Name)
			if e.Tenant == "" {
				e.Tenant = p.Tenant
			}
			breakGlass = p.UserID == BreakGlassSubject
		}
		if info.reason != "" {
			e.Detail += ": " + info.reason
		}
		quietRead := safeMethod(r.Method) && !rt.reads && !breakGlass
		switch {
		case !info.passed:
			e.Outcome = audit.OutcomeDenied
		case rt.self && !breakGlass:
			return
		case sw.code == http.StatusForbidden:
			e.Outcome = audit.OutcomeDenied
		case sw.code >= 400:
			if quietRead {
				return // a failed read of non-personal data changes and reveals nothing
			}
			e.Outcome = audit.OutcomeFailed
		default:
			if quietRead {
				return
			}
			e.Outcome = audit.OutcomeOK
		}
		if _, err := s.Audit().Append(r.Context(), e); err != nil {
			s.log.Error("audit append failed", "action", e.Action, "err", err)
		}
		s.log.Info("admin action", "audit", true, "action", e.Action, "actor", e.Actor, "method", r.Method, "path", r.URL.Path,
			"remote", r.RemoteAddr, "status", sw.code, "outcome", e.Outcome)
	})
}

// maskedName keeps a login name that looks like a phone number out of the
// audit log in full.
func maskedName(name string) string {
	digits := 0
	for _, c := range name {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits >= 7 {
		return fieldcrypt.Mask(name)
	}
	return name
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// auditRoutes mounts the auditor's search, export and chain check. Nobody
// can change the log through the API: there is no route that would.
func (s *Server) auditRoutes(mux *http.ServeMux) {
	if s.sec == nil || s.sec.Audit == nil {
		return
	}
	l := s.sec.Audit
	mux.Handle("GET /api/v1/audit", s.protect(route{action: "audit.search", perm: rbac.PermAuditRead, reads: true}, l.SearchHandler(s.auditGate)))
	mux.Handle("GET /api/v1/audit/export", s.protect(route{action: "audit.export", perm: rbac.PermAuditExport, self: true}, l.ExportHandler(s.auditGate)))
	mux.Handle("GET /api/v1/audit/verify", s.protect(route{action: "audit.verify", perm: rbac.PermAuditRead, reads: true},
		http.HandlerFunc(s.handleAuditVerify)))
}

// auditGate answers the audit handlers: a platform auditor sees every
// tenant, any other only their own.
func (s *Server) auditGate(ctx context.Context, perm string) (actor, tenant string, err error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return "", "", errs.ErrUnavailable
	}
	if err := s.sec.RBAC.Authorize(ctx, p, perm, s.effectiveScope(p, rbac.Scope{})); err != nil {
		return "", "", err
	}
	if s.isPlatform(p) {
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

// handleAuditVerify walks the chain and names the first broken row; a
// broken chain also raises an alarm.
func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := s.sec.Audit.Verify(r.Context())
	if err != nil {
		s.writeAdminErr(w, r, "verify the audit log", err)
		return
	}
	if !rep.OK && s.sec.Alarm != nil {
		s.sec.Alarm(r.Context(), "audit_chain", fmt.Sprintf("audit chain broken at row %d: %s", rep.BrokenRow, rep.Reason))
	}
	writeJSON(w, http.StatusOK, verifyJSON{OK: rep.OK, Rows: rep.Rows, FirstRow: rep.FirstRow, LastRow: rep.LastRow, Signatures: rep.Signatures,
		LastSigned: rep.LastSigned, BrokenRow: rep.BrokenRow, Reason: rep.Reason, AnchorID: rep.AnchorID, UnsignedTail: rep.UnsignedTail})
}
