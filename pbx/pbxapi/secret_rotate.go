package pbxapi

import (
	"encoding/json"
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

// secretRotate issues a new SIP secret (or sets the one given, when
// migrating phones from another system); it is shown only in this response.
func (a *API) secretRotate(w http.ResponseWriter, r *http.Request) {
	tenant, ext := r.PathValue("tenant"), r.PathValue("ext")
	if !a.pbx.HasExtension(tenant, ext) {
		httpx.WriteError(w, 404, "no such extension")
		return
	}
	var body struct {
		Secret string `json:"secret"`
	}
	if r.ContentLength != 0 {
		// Unknown fields are tolerated here, as they always were.
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			httpx.WriteError(w, 400, "body must be JSON {\"secret\": \"...\"} or empty")
			return
		}
		if body.Secret != "" && !validSecret(body.Secret) {
			httpx.WriteError(w, 400, "secret must be 8 to 64 printable ASCII characters without spaces")
			return
		}
	}
	secret, err := a.pbx.SetSecret(r.Context(), tenant, ext, body.Secret)
	if err != nil {
		httpx.Fail(w, r, a.log, "cannot rotate secret", err)
		return
	}
	httpx.WriteJSON(w, 200, map[string]string{"tenant": tenant, "extension": ext, "secret": secret})
}

func validSecret(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
