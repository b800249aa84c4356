package pbx

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
)

// Security is what the admin API is guarded with: who the caller is
// (internal/auth), what they may do (internal/rbac) and the record of both
// (internal/audit). internal/boot builds it; docs/security.md explains it.
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
	// Transport, when set, secures the HTTP listener instead of TLS from
	// http.tls_cert: the seam for a TLCP (GB/T 38636) implementation.
	Transport func(net.Listener) (net.Listener, error)
}

// BreakGlassSubject is the principal the static admin token (http.admin_token_file
// or YIMEN_ADMIN_TOKEN) authenticates as. internal/boot gives it the sysadmin
// role in the platform tenant only while a token is configured.
const BreakGlassSubject = "breakglass"

// adminAuthn resolves credentials: the break-glass token first, then sessions
// and API tokens through internal/auth.
type adminAuthn struct {
	svc    *auth.Service
	token  string
	tenant string
}

var _ auth.Authenticator = adminAuthn{}

func (a adminAuthn) Authenticate(ctx context.Context, tok string) (*auth.Principal, error) {
	if a.token != "" && equalSecret(tok, a.token) {
		return &auth.Principal{UserID: BreakGlassSubject, Tenant: a.tenant, Name: "break-glass", Kind: auth.KindToken, Method: "breakglass"}, nil
	}
	return a.svc.Authenticate(ctx, tok)
}

func (a adminAuthn) AuthenticateToken(ctx context.Context, tok string) (*auth.Principal, error) {
	return a.svc.AuthenticateToken(ctx, tok)
}

// equalSecret compares in constant time, whatever the lengths.
func equalSecret(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// route describes one guarded admin endpoint.
type route struct {
	action string                             // audit action, e.g. "cdr.read"
	perm   string                             // rbac permission; "" needs only authentication
	target func(*http.Request) rbac.Scope     // what the request acts on; nil: the caller's tenant
	reads  bool                               // audit successful reads too (personal data, audit log)
	self   bool                               // the handler audits its own outcome; record only denials here
	stale  bool                               // allowed while the caller's password must be changed
	limit  int64                              // request body limit; 0: 64 KiB
	extra  func(*http.Request) (string, bool) // optional check after rbac: ("", true) or (reason, false) → 403
}

type gateKey struct{}

// gateInfo carries what the gate learned out to the audit wrapper.
type gateInfo struct {
	principal *auth.Principal
	tenant    string
	passed    bool
	reason    string
}

// protect guards h with authentication, authorization and audit.
func (s *Server) protect(rt route, h http.Handler) http.Handler {
	if s.sec == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusServiceUnavailable, "admin API security is not configured")
		})
	}
	cfg := s.sec.Auth.Config()
	gate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(gateKey{}).(*gateInfo)
		p, _ := auth.PrincipalFrom(r.Context())
		info.principal = p
		if p.MustChangePassword && !rt.stale {
			info.reason = "password must be changed"
			writeError(w, http.StatusForbidden, "password must be changed first (POST /api/v1/password)")
			return
		}
		var sc rbac.Scope
		if rt.target != nil {
			sc = rt.target(r)
		}
		info.tenant = sc.Tenant
		if info.tenant == "" {
			info.tenant = p.Tenant
		}
		if rt.perm != "" {
			if err := s.sec.RBAC.Authorize(r.Context(), p, rt.perm, s.effectiveScope(p, sc)); err != nil {
				if !errors.Is(err, errs.ErrForbidden) {
					s.log.Error("admin authorize", "perm", rt.perm, "err", err)
					info.reason = "authorization unavailable"
					writeError(w, http.StatusServiceUnavailable, "authorization unavailable")
					return
				}
				info.reason = "lacks " + rt.perm
				writeError(w, http.StatusForbidden, "forbidden")
				return
			}
		}
		if rt.extra != nil {
			if reason, ok := rt.extra(r); !ok {
				info.reason = reason
				writeError(w, http.StatusForbidden, "forbidden: "+reason)
				return
			}
		}
		info.passed = true
		limit := rt.limit
		if limit == 0 {
			limit = 64 << 10
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	})
	authn := adminAuthn{svc: s.sec.Auth, token: s.adminToken, tenant: s.sec.PlatformTenant}
	return s.audited(rt, auth.NewMiddleware(authn, cfg.CookieName, cfg.CSRFHeader, gate))
}

// effectiveScope lets platform principals act on any tenant with their own
// grants; everyone else is checked against the tenant the request names.
func (s *Server) effectiveScope(p *auth.Principal, sc rbac.Scope) rbac.Scope {
	if s.isPlatform(p) {
		sc.Tenant = p.Tenant
	}
	return sc
}

func (s *Server) isPlatform(p *auth.Principal) bool {
	return p != nil && s.sec != nil && s.sec.PlatformTenant != "" && p.Tenant == s.sec.PlatformTenant
}

// tenantFilter is the tenant a listing must keep to: the one asked for, or
// the caller's own; "" (every tenant) only for platform principals.
func (s *Server) tenantFilter(r *http.Request) string {
	if t := r.URL.Query().Get("tenant"); t != "" {
		return t
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || s.isPlatform(p) {
		return ""
	}
	return p.Tenant
}

// Targets: what a request acts on.

func queryScope(r *http.Request) rbac.Scope {
	q := r.URL.Query()
	return rbac.Scope{Tenant: q.Get("tenant"), Queue: q.Get("queue"), Agent: q.Get("agent")}
}

func pathTenant(r *http.Request) rbac.Scope { return rbac.Scope{Tenant: r.PathValue("tenant")} }

// platformScope is for resources shared by every tenant (the ban list,
// profiling, flow reloads): only the platform tenant's grants count.
func (s *Server) platformScope(*http.Request) rbac.Scope {
	return rbac.Scope{Tenant: s.sec.PlatformTenant}
}

// Require guards a feature API (recordings, QA): the caller must be
// authenticated and hold perm for the scope target derives from the request
// (nil: the caller's own tenant). Denials and changes are audited; reads are
// left to the handler, which knows what was read.
func (s *Server) Require(perm string, target func(*http.Request) rbac.Scope, h http.Handler) http.Handler {
	return s.protect(route{action: perm, perm: perm, target: target}, h)
}

// TenantScope derives a feature request's scope from its tenant, queue and
// agent query parameters.
func TenantScope(r *http.Request) rbac.Scope { return queryScope(r) }
