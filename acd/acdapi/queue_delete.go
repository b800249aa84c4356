package acdapi

import (
	"fmt"
	"net/http"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
)

// queueDelete removes a queue nobody waits in.
func (a *API) queueDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := a.change(r.Context(), r.PathValue("tenant"), "queues", id, func(cfg *acd.TenantConfig) error {
		if !remove(&cfg.Queues, func(q acd.QueueConfig) bool { return q.ID == id }) {
			return fmt.Errorf("queue %q: %w", id, errs.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		a.fail(w, r, "delete queue", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
