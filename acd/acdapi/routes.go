package acdapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

// pathTenant: every route acts in the tenant its path names.
func pathTenant(r *http.Request) rbac.Scope { return rbac.Scope{Tenant: r.PathValue("tenant")} }

// Routes is the ACD's route table: reads need config.read, changes
// config.write, in the tenant of the path.
func (a *API) Routes() []route.Route {
	f := func(h http.HandlerFunc) http.Handler { return h }
	read, write := rbac.PermConfigRead, rbac.PermConfigWrite
	return []route.Route{
		{Method: "GET", Pattern: "/api/v1/tenants/{tenant}/agents", Perm: read, Scope: pathTenant, Action: "acd.agent.list", Handler: f(a.agentList)},
		{Method: "PUT", Pattern: "/api/v1/tenants/{tenant}/agents/{id}", Perm: write, Scope: pathTenant, Action: "acd.agent.put", Handler: f(a.agentPut)},
		{Method: "DELETE", Pattern: "/api/v1/tenants/{tenant}/agents/{id}", Perm: write, Scope: pathTenant, Action: "acd.agent.delete", Handler: f(a.agentDelete)},
		{Method: "GET", Pattern: "/api/v1/tenants/{tenant}/queues", Perm: read, Scope: pathTenant, Action: "acd.queue.list", Handler: f(a.queueList)},
		{Method: "PUT", Pattern: "/api/v1/tenants/{tenant}/queues/{id}", Perm: write, Scope: pathTenant, Action: "acd.queue.put", Handler: f(a.queuePut)},
		{Method: "DELETE", Pattern: "/api/v1/tenants/{tenant}/queues/{id}", Perm: write, Scope: pathTenant, Action: "acd.queue.delete", Handler: f(a.queueDelete)},
	}
}
