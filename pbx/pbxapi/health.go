package pbxapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/internal/version"
)

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	h := a.pbx.Health()
	httpx.WriteJSON(w, 200, map[string]any{"status": "ok", "calls": h.Calls, "registrations": h.Registrations, "rtp_ports_in_use": h.RTPPortsInUse,
		"version": version.Get(), "database": store.Driver})
}
