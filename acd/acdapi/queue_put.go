package acdapi

import (
	"net/http"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/httpx"
)

// queuePut adds or replaces a queue (see queueJSON for the fields).
func (a *API) queuePut(w http.ResponseWriter, r *http.Request) {
	var b queueJSON
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if b.ID != "" && b.ID != id {
		a.fail(w, r, "put queue", &FieldError{"id", "differs from the path"})
		return
	}
	q, err := queueOf(id, b)
	if err != nil {
		a.fail(w, r, "put queue", err)
		return
	}
	created := false
	err = a.change(r.Context(), r.PathValue("tenant"), "queues", id, func(cfg *acd.TenantConfig) error {
		created = upsert(&cfg.Queues, q, func(x acd.QueueConfig) bool { return x.ID == id })
		return nil
	})
	if err != nil {
		a.fail(w, r, "put queue", err)
		return
	}
	// The reply echoes the strategy and overflow as they were written.
	out := toQueueJSON(q)
	out.Strategy, out.Overflow = b.Strategy, b.Overflow
	httpx.WriteJSON(w, putStatus(created), out)
}
