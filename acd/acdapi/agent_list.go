package acdapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

func (a *API) agentList(w http.ResponseWriter, r *http.Request) {
	cfg, err := a.d.ACD.Config(r.Context(), r.PathValue("tenant"))
	if err != nil {
		a.fail(w, r, "list agents", err)
		return
	}
	out := make([]agentJSON, len(cfg.Agents))
	for i, ag := range cfg.Agents {
		out[i] = toAgentJSON(ag)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
