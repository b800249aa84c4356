package acdapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

func (a *API) queueList(w http.ResponseWriter, r *http.Request) {
	cfg, err := a.d.ACD.Config(r.Context(), r.PathValue("tenant"))
	if err != nil {
		a.fail(w, r, "list queues", err)
		return
	}
	out := make([]queueJSON, len(cfg.Queues))
	for i, q := range cfg.Queues {
		out[i] = toQueueJSON(q)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
