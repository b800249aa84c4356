package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// userCreate adds an account: {"name", "password"?}. Without a password
// one is generated and shown once; either way the user must change it at
// first login.
func (a *API) userCreate(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !a.knownTenant(tenant) {
		httpx.WriteError(w, http.StatusNotFound, "no such tenant")
		return
	}
	var b struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	generated := b.Password == ""
	if generated {
		b.Password = NewPassword(b.Name)
	}
	u, err := a.sec.Auth.CreateUser(r.Context(), auth.NewUser{Tenant: tenant, Name: b.Name, Password: b.Password, MustChange: true})
	if err != nil {
		a.fail(w, r, "create user", err)
		return
	}
	out := toUserJSON(u)
	if generated {
		out.Password = b.Password
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, out)
}
