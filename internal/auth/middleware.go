package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Authenticator is what Middleware needs; *Service implements it, and tests
// or another identity provider can stand in.
type Authenticator interface {
	Authenticate(ctx context.Context, sessionToken string) (*Principal, error)
	AuthenticateToken(ctx context.Context, apiToken string) (*Principal, error)
}

var _ Authenticator = (*Service)(nil)

// Middleware authenticates each request and puts its *Principal into the
// context (read it with PrincipalFrom). It accepts, in order:
//
//   - "Authorization: Bearer ymt_…": an API token;
//   - "Authorization: Bearer yms_…": a session token held by a non-browser
//     client (no CSRF check: a browser never attaches it by itself);
//   - the session cookie: on any method other than GET, HEAD and OPTIONS the
//     CSRF header must carry CSRFToken(session), or the request gets 403.
//
// A request with no or bad credentials gets 401.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return NewMiddleware(s, s.cfg.CookieName, s.cfg.CSRFHeader, next)
}

// NewMiddleware is Middleware over any Authenticator.
func NewMiddleware(a Authenticator, cookieName, csrfHeader string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var p *Principal
		var err error
		if bearer, ok := bearerToken(r); ok {
			if strings.HasPrefix(bearer, tokenPrefix) {
				p, err = a.AuthenticateToken(ctx, bearer)
			} else {
				p, err = a.Authenticate(ctx, bearer)
			}
		} else if c, cerr := r.Cookie(cookieName); cerr == nil && c.Value != "" {
			p, err = a.Authenticate(ctx, c.Value)
			if err == nil {
				p.Cookie = true
				if !safeMethod(r.Method) && !CheckCSRF(c.Value, r.Header.Get(csrfHeader)) {
					http.Error(w, "forbidden: CSRF token missing or wrong", http.StatusForbidden)
					return
				}
			} else {
				http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			}
		} else {
			err = ErrSessionInvalid
		}
		if err != nil {
			if !errors.Is(err, ErrSessionInvalid) && !errors.Is(err, errTokenInvalid) {
				http.Error(w, "authentication unavailable", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="yimen"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
	})
}

// RequirePasswordCurrent refuses (403) principals whose password expired or
// was reset; mount everything but the password-change endpoint behind it.
func RequirePasswordCurrent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := PrincipalFrom(r.Context()); ok && p.MustChangePassword {
			http.Error(w, "forbidden: password must be changed", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):]), true
	}
	return "", false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
