package adminapi

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/httpx/route"
)

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the CTI
// upgrade, streaming of recordings).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// audited writes one audit entry per admin request that matters: every
// denial (no credentials, bad CSRF token, missing permission), every change,
// every read of personal data or of the audit log, and every use of the
// break-glass token. The path goes in, never the query: it may hold a phone
// number.
func (a *API) audited(rt route.Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &gateInfo{}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(withGate(r.Context(), info)))

		e := audit.Entry{Action: rt.Action, Target: r.URL.Path, Source: r.RemoteAddr, Tenant: info.tenant,
			Detail: r.Method + " " + strconv.Itoa(sw.code)}
		breakGlass := false
		if strings.ContainsFunc(e.Tenant, unicode.IsControl) {
			e.Tenant = "" // a placeholder that named no tenant
		}
		if p := info.principal; p != nil {
			e.Actor = p.UserID
			e.Detail += " by " + fieldcrypt.MaskName(p.Name)
			if e.Tenant == "" {
				e.Tenant = p.Tenant
			}
			breakGlass = p.UserID == BreakGlassSubject
		}
		if info.reason != "" {
			e.Detail += ": " + info.reason
		}
		quietRead := safeMethod(r.Method) && !rt.Reads && !breakGlass
		switch {
		case !info.passed:
			e.Outcome = audit.OutcomeDenied
		case rt.Self && !breakGlass:
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
		if _, err := a.sec.Auditor(a.log).Append(r.Context(), e); err != nil {
			a.log.Error("audit append failed", "action", e.Action, "err", err)
		}
		a.log.Info("admin action", "audit", true, "action", e.Action, "actor", e.Actor, "method", r.Method, "path", r.URL.Path,
			"remote", r.RemoteAddr, "status", sw.code, "outcome", e.Outcome)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
