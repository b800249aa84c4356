package pbx

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/rbac"
)

// userRoutes mounts account management: the system administrator's
// user.write (create, reset, disable, unlock, API tokens); user.read is
// also the security administrator's, who assigns roles to those accounts.
func (s *Server) userRoutes(mux *http.ServeMux) {
	write := func(action string, h http.HandlerFunc) http.Handler {
		return s.protect(route{action: action, perm: rbac.PermUserWrite, target: pathTenant}, h)
	}
	mux.Handle("POST /api/v1/tenants/{tenant}/users", write("user.create", s.handleCreateUser))
	mux.Handle("GET /api/v1/tenants/{tenant}/users/{name}", s.protect(route{action: "user.read", perm: rbac.PermUserRead, target: pathTenant},
		http.HandlerFunc(s.handleGetUser)))
	mux.Handle("POST /api/v1/tenants/{tenant}/users/{name}/password", write("user.password.reset", s.handleResetPassword))
	mux.Handle("POST /api/v1/tenants/{tenant}/users/{name}/disable", write("user.disable", s.handleDisable(true)))
	mux.Handle("POST /api/v1/tenants/{tenant}/users/{name}/enable", write("user.enable", s.handleDisable(false)))
	mux.Handle("POST /api/v1/tenants/{tenant}/users/{name}/unlock", write("user.unlock", s.handleUnlock))
	mux.Handle("POST /api/v1/tenants/{tenant}/tokens", write("token.create", s.handleCreateToken))
	// A token id does not name its tenant, so revoking is the platform's.
	mux.Handle("DELETE /api/v1/tokens/{id}", s.protect(route{action: "token.revoke", perm: rbac.PermUserWrite, target: s.platformScope},
		http.HandlerFunc(s.handleRevokeToken)))
}

type userJSON struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenant"`
	Name       string    `json:"name"`
	MustChange bool      `json:"must_change"`
	Disabled   bool      `json:"disabled"`
	TOTP       bool      `json:"totp"`
	SM2Key     bool      `json:"sm2_key"`
	Changed    time.Time `json:"password_changed_at"`
	Created    time.Time `json:"created_at"`
	Password   string    `json:"password,omitempty"` // only when generated, shown once
}

func toUserJSON(u auth.User) userJSON {
	return userJSON{ID: u.ID, Tenant: u.Tenant, Name: u.Name, MustChange: u.MustChange, Disabled: u.Disabled,
		TOTP: u.TOTP, SM2Key: u.HasSM2Key, Changed: u.PasswordChangedAt.UTC(), Created: u.CreatedAt.UTC()}
}

// handleCreateUser adds an account: {"name", "password"?}. Without a
// password one is generated and shown once; either way the user must
// change it at first login.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant) {
		writeError(w, http.StatusNotFound, "no such tenant")
		return
	}
	var b struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	generated := b.Password == ""
	if generated {
		b.Password = NewAdminPassword(b.Name)
	}
	u, err := s.sec.Auth.CreateUser(r.Context(), auth.NewUser{Tenant: tenant, Name: b.Name, Password: b.Password, MustChange: true})
	if err != nil {
		s.writeAdminErr(w, r, "create user", err)
		return
	}
	out := toUserJSON(u)
	if generated {
		out.Password = b.Password
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) userIn(w http.ResponseWriter, r *http.Request) (auth.User, bool) {
	u, err := s.sec.Auth.FindUser(r.Context(), r.PathValue("tenant"), r.PathValue("name"))
	if err != nil {
		s.writeAdminErr(w, r, "find user", err)
		return auth.User{}, false
	}
	return u, true
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.userIn(w, r); ok {
		writeJSON(w, http.StatusOK, toUserJSON(u))
	}
}

// handleResetPassword sets a new password ({"password"} or generated and
// shown once) that must be changed at next login; the user's sessions end.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userIn(w, r)
	if !ok {
		return
	}
	var b struct {
		Password string `json:"password"`
	}
	if r.ContentLength != 0 && !decodeJSON(w, r, &b) {
		return
	}
	generated := b.Password == ""
	if generated {
		b.Password = NewAdminPassword(u.Name)
	}
	if err := s.sec.Auth.SetPassword(r.Context(), u.ID, b.Password); err != nil {
		s.writeAdminErr(w, r, "reset password", err)
		return
	}
	out := map[string]string{"id": u.ID}
	if generated {
		out["password"] = b.Password
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleDisable(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.userIn(w, r)
		if !ok {
			return
		}
		if err := s.sec.Auth.SetDisabled(r.Context(), u.ID, disabled); err != nil {
			s.writeAdminErr(w, r, "disable user", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleUnlock lifts an account's lockout before it expires.
func (s *Server) handleUnlock(w http.ResponseWriter, r *http.Request) {
	if err := s.sec.Auth.Unlock(r.Context(), r.PathValue("tenant"), r.PathValue("name")); err != nil {
		s.writeAdminErr(w, r, "unlock", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleCreateToken mints an API token for a machine (the OA, the CTI
// system): {"subject": "svc:oa", "name", "ttl_seconds"?}. The security
// administrator then gives the subject a role. The token is shown once.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant) {
		writeError(w, http.StatusNotFound, "no such tenant")
		return
	}
	var b struct {
		Subject    string `json:"subject"`
		Name       string `json:"name"`
		TTLSeconds int64  `json:"ttl_seconds"`
	}
	if !decodeJSON(w, r, &b) {
		return
	}
	if b.TTLSeconds < 0 || len(b.Subject) < 5 || b.Subject[:4] != "svc:" || len(b.Subject) > 64 {
		writeError(w, http.StatusBadRequest, `subject must be "svc:<name>" (at most 64 bytes) and ttl_seconds not negative`)
		return
	}
	tok, t, err := s.sec.Auth.CreateAPIToken(r.Context(), tenant, b.Subject, b.Name, time.Duration(b.TTLSeconds)*time.Second)
	if err != nil {
		s.writeAdminErr(w, r, "create token", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "tenant": t.Tenant, "subject": t.Subject, "name": t.Name,
		"expires_at": t.ExpiresAt, "token": tok})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.sec.Auth.RevokeAPIToken(r.Context(), r.PathValue("id")); err != nil {
		s.writeAdminErr(w, r, "revoke token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) knownTenant(name string) bool {
	for _, t := range s.cfg.Tenants {
		if t.Name == name {
			return true
		}
	}
	return false
}

const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewAdminPassword returns a random 18-character password that meets
// internal/auth's rules for the user name (about 105 bits).
func NewAdminPassword(name string) string {
	max := big.NewInt(int64(len(passwordAlphabet)))
	for {
		b := make([]byte, 18)
		for i := range b {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				panic("pbx: crypto/rand failed: " + err.Error()) // the kernel's generator does not fail
			}
			b[i] = passwordAlphabet[n.Int64()]
		}
		if auth.CheckPassword(name, string(b), 8) == nil {
			return string(b)
		}
	}
}
