package pbxapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

// trunkList shows the carrier side of the tenant the caller may see:
// trunks with their live state (up/down, registration, calls in
// progress), DIDs and outbound routes.
func (a *API) trunkList(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, 200, a.pbx.Trunks().List(a.tenancy.TenantFilter(r)))
}
