package pbxapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/guard"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/pbx/registrar"
	"github.com/yimen/yimen/pbx/trunk"
)

// PBX is what the API reads and changes in the running softswitch
// (*pbx.Server).
type PBX interface {
	Health() pbx.Health
	Registrations(tenant string) []registrar.Binding
	Calls() []b2bua.CallInfo
	AgentExtension(tenant, agent string) string
	HasExtension(tenant, ext string) bool
	SetSecret(ctx context.Context, tenant, ext, secret string) (string, error)
	QueueRecords() pbx.QueueRecords
	Guard() *guard.Guard
	Trunks() *trunk.Manager
}

// CDRs is the call record store.
type CDRs interface {
	CDRs(ctx context.Context, f pbxstore.CDRFilter) ([]pbxstore.CDR, error)
}

// Tenancy answers which tenants a request may see (internal/adminapi).
type Tenancy interface {
	// TenantFilter is the tenant a listing keeps to; "" for every tenant.
	TenantFilter(*http.Request) string
	// PlatformScope is the scope of what every tenant shares.
	PlatformScope(*http.Request) rbac.Scope
	// Can reports whether the request's caller also holds perm for the scope.
	Can(r *http.Request, perm string, sc rbac.Scope) bool
}

// FlowReloader re-reads the IVR flows (nil when none are configured).
type FlowReloader interface {
	// Reload swaps in the flows on disk and returns their generation.
	Reload() (generation uint64, err error)
}

// Deps are what the API is built from.
type Deps struct {
	PBX     PBX
	CDRs    CDRs
	Metrics prometheus.Gatherer
	Tenancy Tenancy
	Flows   FlowReloader
	Log     *slog.Logger
}

// API serves the PBX's routes.
type API struct {
	pbx     PBX
	cdrs    CDRs
	tenancy Tenancy
	flows   FlowReloader
	log     *slog.Logger
	metrics prometheus.Gatherer
}

// New builds the API.
func New(d Deps) *API {
	return &API{pbx: d.PBX, cdrs: d.CDRs, tenancy: d.Tenancy, flows: d.Flows, log: d.Log, metrics: d.Metrics}
}

// Routes is the PBX's route table.
func (a *API) Routes() []route.Route {
	f := func(h http.HandlerFunc) http.Handler { return h }
	platform := a.tenancy.PlatformScope
	// Ban changes are the system administrator's (ban.write belongs to
	// sysadmin only); the list is global, so only platform grants count.
	// The guard's handler serves all three; the route has authorized it.
	bans := a.pbx.Guard().AdminHandler(func(*http.Request) bool { return true })
	// Profiling: a heap profile can hold key material, so it takes the
	// platform's config.write, as a flow reload does.
	debug := func(pattern string, h http.Handler) route.Route {
		return route.Route{Method: "GET", Pattern: pattern, Perm: rbac.PermConfigWrite, Scope: platform, Action: "config.change", Reads: true, Handler: h}
	}
	routes := []route.Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: f(a.health)},
		{Method: "GET", Pattern: "/metrics", Public: true, Handler: promhttp.HandlerFor(a.metrics, promhttp.HandlerOpts{})},
		{Method: "GET", Pattern: "/api/v1/bans", Perm: rbac.PermConfigRead, Scope: platform, Action: "ban.list", Handler: bans},
		{Method: "POST", Pattern: "/api/v1/bans", Perm: rbac.PermBanWrite, Scope: platform, Action: "ban.create", Handler: bans},
		{Method: "DELETE", Pattern: "/api/v1/bans/{ip}", Perm: rbac.PermBanWrite, Scope: platform, Action: "ban.lift", Handler: bans},
		{Method: "GET", Pattern: "/api/v1/registrations", Perm: rbac.PermConfigRead, Scope: adminapi.QueryScope, Action: "registration.read", Handler: f(a.registrationList)},
		{Method: "GET", Pattern: "/api/v1/trunks", Perm: rbac.PermConfigRead, Scope: adminapi.QueryScope, Action: "trunk.read", Handler: f(a.trunkList)},
		{Method: "GET", Pattern: "/api/v1/cdrs", Perm: rbac.PermCDRRead, Scope: adminapi.QueryScope, Action: "cdr.read", Reads: true, Handler: f(a.cdrList)},
		{Method: "GET", Pattern: "/api/v1/calls", Perm: rbac.PermCallMonitor, Scope: adminapi.QueryScope, Action: "call.read", Reads: true, Handler: f(a.callList)},
		{Method: "POST", Pattern: "/api/v1/tenants/{tenant}/extensions/{ext}/secret", Perm: rbac.PermConfigWrite, Scope: adminapi.PathTenant, Action: "sip.secret.rotate", Handler: f(a.secretRotate)},
		debug("/debug/pprof/", http.HandlerFunc(pprof.Index)),
		debug("/debug/pprof/profile", http.HandlerFunc(pprof.Profile)),
		debug("/debug/pprof/heap", pprof.Handler("heap")),
		debug("/debug/pprof/goroutine", pprof.Handler("goroutine")),
		debug("/debug/pprof/allocs", pprof.Handler("allocs")),
	}
	if a.flows != nil {
		routes = append(routes, route.Route{Method: "POST", Pattern: "/api/v1/ivr/reload", Perm: rbac.PermConfigWrite, Scope: platform,
			Action: "config.change", Reads: true, Handler: f(a.ivrReload)})
	}
	return routes
}
