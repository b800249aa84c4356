package acdapi

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
)

// agentDelete takes the agent out of the tenant and of every queue's
// member list; an agent on a call leaves when it ends.
func (a *API) agentDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := a.change(r.Context(), r.PathValue("tenant"), "agents", id, func(cfg *acd.TenantConfig) error {
		if !remove(&cfg.Agents, func(x acd.AgentConfig) bool { return x.ID == id }) {
			return fmt.Errorf("agent %q: %w", id, errs.ErrNotFound)
		}
		for j := range cfg.Queues {
			cfg.Queues[j].Agents = slices.DeleteFunc(slices.Clone(cfg.Queues[j].Agents), func(m string) bool { return m == id })
		}
		return nil
	})
	if err != nil {
		a.fail(w, r, "delete agent", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
