package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
)

// The handlers below speak JSON and are meant to be mounted by the process
// that owns the HTTP server, e.g.
//
//	mux.Handle("POST /api/auth/login", svc.LoginHandler())
//	mux.Handle("POST /api/auth/challenge", svc.ChallengeHandler())
//	mux.Handle("POST /api/auth/login/sm2", svc.SM2LoginHandler())
//	mux.Handle("POST /api/auth/logout", svc.Middleware(svc.LogoutHandler()))
//	mux.Handle("GET /api/auth/session", svc.Middleware(svc.SessionHandler()))
//
// Source addresses come from r.RemoteAddr; a deployment behind a reverse
// proxy must rewrite RemoteAddr from its trusted header before these run.

const maxBody = 8 << 10

type loginBody struct {
	Tenant    string `json:"tenant"`
	Name      string `json:"name"`
	Password  string `json:"password"`
	TOTP      string `json:"totp"`
	Nonce     string `json:"nonce"`
	Signature string `json:"signature"` // base64 DER, SM2 login
	Bearer    bool   `json:"bearer"`    // return the token in the body instead of a cookie
}

type sessionReply struct {
	UserID             string    `json:"user_id"`
	Tenant             string    `json:"tenant"`
	Name               string    `json:"name"`
	CSRFToken          string    `json:"csrf_token,omitempty"`
	Token              string    `json:"token,omitempty"`
	ExpiresAt          time.Time `json:"expires_at"`
	MustChangePassword bool      `json:"must_change_password"`
	// SecondFactorRequired: an administrator logged in with one factor;
	// the session may only enrol a second one (then log in again).
	SecondFactorRequired bool `json:"second_factor_required"`
}

// LoginHandler handles a password login: {tenant, name, password, totp?, bearer?}.
// Browsers get an HttpOnly, SameSite=Strict cookie and the CSRF token in the
// body; "bearer": true returns the session token in the body instead.
func (s *Service) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b loginBody
		if !decode(w, r, &b) {
			return
		}
		sess, err := s.Login(r.Context(), LoginRequest{
			Tenant: b.Tenant, Name: b.Name, Password: b.Password, TOTP: b.TOTP,
			Source: r.RemoteAddr, PreviousToken: s.presentedToken(r),
		})
		s.replySession(w, r, sess, b.Bearer, err)
	})
}

// ChallengeHandler issues an SM2 login nonce: {tenant, name} → {nonce, expires_at}.
func (s *Service) ChallengeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b loginBody
		if !decode(w, r, &b) {
			return
		}
		nonce, exp, err := s.Challenge(r.Context(), b.Tenant, b.Name)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"nonce": nonce, "expires_at": exp})
	})
}

// SM2LoginHandler completes an SM2 login: {tenant, name, password, nonce, signature, bearer?}.
func (s *Service) SM2LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b loginBody
		if !decode(w, r, &b) {
			return
		}
		sig, err := base64.StdEncoding.DecodeString(b.Signature)
		if err != nil {
			s.writeErr(w, r, errs.ErrInvalid)
			return
		}
		sess, err := s.LoginSM2(r.Context(), SM2LoginRequest{
			Tenant: b.Tenant, Name: b.Name, Password: b.Password, Nonce: b.Nonce, Signature: sig,
			Source: r.RemoteAddr, PreviousToken: s.presentedToken(r),
		})
		s.replySession(w, r, sess, b.Bearer, err)
	})
}

// LogoutHandler ends the caller's session; mount it behind Middleware so a
// cookie logout is CSRF-checked.
func (s *Service) LogoutHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := s.presentedToken(r); t != "" {
			if err := s.Logout(r.Context(), t); err != nil {
				s.writeErr(w, r, err)
				return
			}
		}
		http.SetCookie(w, s.cookie("", -1))
		w.WriteHeader(http.StatusNoContent)
	})
}

// SessionHandler returns the caller's identity and, for cookie sessions, the
// CSRF token again (for a page reloaded after login). Mount behind Middleware.
func (s *Service) SessionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			s.writeErr(w, r, ErrSessionInvalid)
			return
		}
		rep := sessionReply{UserID: p.UserID, Tenant: p.Tenant, Name: p.Name, ExpiresAt: p.ExpiresAt, MustChangePassword: p.MustChangePassword,
			SecondFactorRequired: p.SecondFactorDue}
		if c, err := r.Cookie(s.cfg.CookieName); err == nil && p.Cookie {
			rep.CSRFToken = CSRFToken(c.Value)
		}
		writeJSON(w, http.StatusOK, rep)
	})
}

// presentedToken is the session token the client sent, if any.
func (s *Service) presentedToken(r *http.Request) string {
	if t, ok := bearerToken(r); ok && !isAPIToken(t) {
		return t
	}
	if c, err := r.Cookie(s.cfg.CookieName); err == nil {
		return c.Value
	}
	return ""
}

func isAPIToken(t string) bool {
	return len(t) > len(tokenPrefix) && t[:len(tokenPrefix)] == tokenPrefix
}

func (s *Service) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cfg.CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.CookieSecure, SameSite: http.SameSiteStrictMode}
}

func (s *Service) replySession(w http.ResponseWriter, r *http.Request, sess *Session, bearer bool, err error) {
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	rep := sessionReply{UserID: sess.UserID, Tenant: sess.Tenant, Name: sess.Name, ExpiresAt: sess.ExpiresAt, MustChangePassword: sess.MustChangePassword,
		SecondFactorRequired: sess.SecondFactorDue}
	if bearer {
		rep.Token = sess.Token
	} else {
		http.SetCookie(w, s.cookie(sess.Token, int(time.Until(sess.ExpiresAt).Seconds())))
		rep.CSRFToken = sess.CSRF
	}
	writeJSON(w, http.StatusOK, rep)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := httpx.DecodeJSON(w, r, maxBody, v)
	switch {
	case err == nil:
		return true
	case errors.Is(err, httpx.ErrTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "too_large"})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body"})
	}
	return false
}

// writeErr maps error kinds to statuses at this edge, and logs what the
// client cannot be told. It is not httpx.Status on purpose: a login answers
// 401 for any refused credential and never says whether the account exists.
func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, "internal"
	switch {
	case errors.Is(err, ErrLocked):
		status, code = http.StatusTooManyRequests, "locked"
	case errors.Is(err, ErrSecondFactor):
		status, code = http.StatusUnauthorized, "totp_required"
	case errors.Is(err, errs.ErrForbidden):
		status, code = http.StatusUnauthorized, "invalid_credentials"
	case errors.Is(err, errs.ErrInvalid):
		status, code = http.StatusBadRequest, "invalid"
	case errors.Is(err, errs.ErrUnavailable):
		status, code = http.StatusServiceUnavailable, "unavailable"
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "auth handler", "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": code})
}

// writeJSON answers with a reply no cache may keep: it may hold a session.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, v)
}
