package pbxapi

import (
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/httpx"
)

type bindingJSON struct {
	Tenant    string    `json:"tenant"`
	Extension string    `json:"extension"`
	Contact   string    `json:"contact"`
	Received  string    `json:"received"`
	Transport string    `json:"transport"`
	Expires   time.Time `json:"expires"`
	UserAgent string    `json:"user_agent"`
}

// registrationList lists the live registrations of the tenant the caller may see.
func (a *API) registrationList(w http.ResponseWriter, r *http.Request) {
	out := []bindingJSON{}
	for _, b := range a.pbx.Registrations(a.tenancy.TenantFilter(r)) {
		out = append(out, bindingJSON{b.Tenant, b.AOR, b.Contact, b.Received.String(), b.Transport, b.Expires.UTC(), b.UserAgent})
	}
	httpx.WriteJSON(w, 200, out)
}
