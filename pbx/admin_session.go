package pbx

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/gm"
)

// sessionRoutes mounts logging in and out and a user's own credentials.
// internal/auth audits every login, failure, lockout and logout itself.
func (s *Server) sessionRoutes(mux *http.ServeMux) {
	if s.sec == nil {
		return
	}
	a := s.sec.Auth
	mux.Handle("POST /api/v1/login", a.LoginHandler())
	mux.Handle("POST /api/v1/login/challenge", a.ChallengeHandler())
	mux.Handle("POST /api/v1/login/sm2", a.SM2LoginHandler())
	// self: internal/auth records the outcome; only denials are recorded here.
	own := func(action string, self bool, h http.HandlerFunc) http.Handler {
		return s.protect(route{action: action, stale: true, self: self}, h)
	}
	mux.Handle("POST /api/v1/logout", own("auth.logout", true, a.LogoutHandler().ServeHTTP))
	mux.Handle("GET /api/v1/session", own("auth.session", true, a.SessionHandler().ServeHTTP))
	mux.Handle("POST /api/v1/password", own("auth.password.change", true, s.handleChangePassword))
	mux.Handle("POST /api/v1/totp", own("auth.totp.enroll", false, s.handleEnrollTOTP))
	mux.Handle("POST /api/v1/totp/confirm", own("auth.totp.confirm", true, s.handleConfirmTOTP))
	mux.Handle("PUT /api/v1/sm2-key", own("auth.sm2key.set", true, s.handleSetSM2Key))
}

// userPrincipal is the caller when it is a person with a session: API
// tokens and the break-glass token have no password or second factor.
func userPrincipal(w http.ResponseWriter, r *http.Request) (*auth.Principal, bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.Kind != auth.KindUser {
		writeError(w, http.StatusBadRequest, "only a logged-in user has a password, TOTP or SM2 key")
		return nil, false
	}
	return p, true
}

// presentedSession is the caller's session token (bearer or cookie).
func (s *Server) presentedSession(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if c, err := r.Cookie(s.sec.Auth.Config().CookieName); err == nil {
		return c.Value
	}
	return ""
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return false
	}
	return true
}

// handleChangePassword lets users replace their own password; it is allowed
// while the password must be changed. Other sessions of the user end.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	if err := s.sec.Auth.ChangePassword(r.Context(), p.UserID, b.Old, b.New, s.presentedSession(r)); err != nil {
		s.writeAdminErr(w, r, "change password", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleEnrollTOTP starts a second factor for the caller: {"algorithm": "SM3"|"SHA1"}.
// The secret is shown once; ConfirmTOTP activates it.
func (s *Server) handleEnrollTOTP(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	b := struct {
		Algorithm string `json:"algorithm"`
	}{Algorithm: auth.TOTPSM3}
	if r.ContentLength != 0 && !decodeJSON(w, r, &b) {
		return
	}
	secret, uri, err := s.sec.Auth.EnrollTOTP(r.Context(), p.UserID, b.Algorithm)
	if err != nil {
		s.writeAdminErr(w, r, "enroll totp", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"secret": secret, "uri": uri})
}

func (s *Server) handleConfirmTOTP(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		Code string `json:"code"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	if err := s.sec.Auth.ConfirmTOTP(r.Context(), p.UserID, b.Code); err != nil {
		s.writeAdminErr(w, r, "confirm totp", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSetSM2Key registers the caller's SM2 public key (PEM) for
// challenge-response login.
func (s *Server) handleSetSM2Key(w http.ResponseWriter, r *http.Request) {
	p, ok := userPrincipal(w, r)
	if !ok {
		return
	}
	var b struct {
		PublicKey string `json:"public_key"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	pub, err := gm.DecodePublicKeyPEM([]byte(b.PublicKey))
	if err != nil {
		writeError(w, http.StatusBadRequest, "public_key must be an SM2 public key in PEM")
		return
	}
	if err := s.sec.Auth.RegisterSM2Key(r.Context(), p.UserID, pub); err != nil {
		s.writeAdminErr(w, r, "register sm2 key", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeAdminErr maps an error kind to a status and logs what the client is
// not told.
func (s *Server) writeAdminErr(w http.ResponseWriter, r *http.Request, what string, err error) {
	code := statusFor(err)
	if code >= 500 {
		s.log.Error("admin api", "what", what, "path", r.URL.Path, "err", err)
		writeError(w, code, "cannot "+what)
		return
	}
	writeError(w, code, err.Error())
}
