package rbac

import (
	"errors"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
)

// Require wraps next so it runs only when the request's principal (put there
// by auth's Middleware) holds perm for the scope scopeOf derives from the
// request; scopeOf may be nil for tenant-wide permissions. It answers 401
// without a principal and 403 when denied.
func (s *Service) Require(perm string, scopeOf func(*http.Request) Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var sc Scope
		if scopeOf != nil {
			sc = scopeOf(r)
		}
		if err := s.Authorize(r.Context(), p, perm, sc); err != nil {
			if !errors.Is(err, errs.ErrForbidden) {
				s.log.ErrorContext(r.Context(), "rbac authorize", "perm", perm, "err", err)
				http.Error(w, "authorization unavailable", http.StatusServiceUnavailable)
				return
			}
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var _ Principal = (*auth.Principal)(nil)
