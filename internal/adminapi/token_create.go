package adminapi

import (
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// tokenCreate mints an API token for a machine (the OA, the CTI system):
// {"subject": "svc:oa", "name", "ttl_seconds"?}. The security administrator
// then gives the subject a role. The token is shown once. A subject that
// already holds a role the caller could not give itself gets no new token
// from it (credential_target.go).
func (a *API) tokenCreate(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !a.knownTenant(tenant) {
		httpx.WriteError(w, http.StatusNotFound, "no such tenant")
		return
	}
	var b struct {
		Subject    string `json:"subject"`
		Name       string `json:"name"`
		TTLSeconds int64  `json:"ttl_seconds"`
	}
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	if b.TTLSeconds < 0 || len(b.Subject) < 5 || b.Subject[:4] != "svc:" || len(b.Subject) > 64 {
		httpx.WriteError(w, http.StatusBadRequest, `subject must be "svc:<name>" (at most 64 bytes) and ttl_seconds not negative`)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.checkCredentialTarget(r.Context(), p, tenant, b.Subject, impersonation); err != nil {
		a.fail(w, r, "create token", err)
		return
	}
	tok, t, err := a.sec.Auth.CreateAPIToken(r.Context(), tenant, b.Subject, b.Name, time.Duration(b.TTLSeconds)*time.Second)
	if err != nil {
		a.fail(w, r, "create token", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "tenant": t.Tenant, "subject": t.Subject, "name": t.Name,
		"expires_at": t.ExpiresAt, "token": tok})
}
