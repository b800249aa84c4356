package acdapi

import (
	"fmt"
	"net/http"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/httpx"
)

// agentPut adds or replaces an agent: {"name", "extension", "skills"?,
// "ring_timeout"?}. A new agent of an auto-login tenant logs in at once.
func (a *API) agentPut(w http.ResponseWriter, r *http.Request) {
	var b agentJSON
	if !httpx.ReadJSON(w, r, &b) {
		return
	}
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	if b.ID != "" && b.ID != id {
		a.fail(w, r, "put agent", &FieldError{"id", "differs from the path"})
		return
	}
	ag := acd.AgentConfig{ID: id, Name: b.Name, Endpoint: b.Extension, Skills: b.Skills}
	if ag.Endpoint != "" && (a.d.HasExtension == nil || !a.d.HasExtension(tenant, ag.Endpoint)) {
		a.fail(w, r, "put agent", &FieldError{"extension", fmt.Sprintf("%q is not an extension of tenant %s", ag.Endpoint, tenant)})
		return
	}
	var err error
	if ag.RingTimeout, err = parseDuration("ring_timeout", b.RingTimeout); err != nil {
		a.fail(w, r, "put agent", err)
		return
	}
	created := false
	err = a.change(r.Context(), tenant, "agents", id, func(cfg *acd.TenantConfig) error {
		created = upsert(&cfg.Agents, ag, func(x acd.AgentConfig) bool { return x.ID == id })
		return nil
	})
	if err != nil {
		a.fail(w, r, "put agent", err)
		return
	}
	if created && a.d.AutoLogin[tenant] {
		if err := a.d.ACD.Login(r.Context(), tenant, id); err == nil {
			_ = a.d.ACD.Ready(r.Context(), tenant, id)
		}
	}
	httpx.WriteJSON(w, putStatus(created), toAgentJSON(ag))
}
