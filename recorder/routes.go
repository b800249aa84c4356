package recorder

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
)

// unknownTenant names no tenant: a scope with it denies everyone but the
// platform's principals, who then get the handler's own 404.
const unknownTenant = "\x00unknown"

// Access answers whether a request's caller also holds a permission beyond
// the one its route was authorized with (internal/adminapi's API).
type Access interface {
	Can(req *http.Request, perm string, sc rbac.Scope) bool
}

// Routes is the recordings and QA route table. Reading recordings needs
// recording.read for the recording's tenant, queue and agent; annotating
// and QA need qa.score.write; deleting needs config.write; starting or
// stopping a live recording needs call.control for the call's tenant,
// which callTenant names ("" for no such call). A search by caller number
// also needs what access grants (nil: no one may search by number).
func (r *Recorder) Routes(callTenant func(callID string) string, access Access) []route.Route {
	f := func(h http.HandlerFunc) http.Handler { return h }
	read, qa := rbac.PermRecordingRead, rbac.PermQAScoreWrite
	live := func(req *http.Request) rbac.Scope {
		if callTenant != nil {
			if t := callTenant(req.PathValue("call")); t != "" {
				return rbac.Scope{Tenant: t}
			}
		}
		return rbac.Scope{Tenant: unknownTenant}
	}
	return []route.Route{
		{Method: "GET", Pattern: "/api/v1/recordings", Perm: read, Scope: queryScope, Handler: callerSearch(access, f(r.handleSearch))},
		{Method: "GET", Pattern: "/api/v1/recordings/{id}", Perm: read, Scope: r.recordingScope, Handler: f(r.handleGet)},
		{Method: "GET", Pattern: "/api/v1/recordings/{id}/audio", Perm: read, Scope: r.recordingScope, Handler: f(r.handleAudio)},
		{Method: "GET", Pattern: "/api/v1/recordings/{id}/download", Perm: read, Scope: r.recordingScope, Handler: f(r.handleAudio)},
		{Method: "PATCH", Pattern: "/api/v1/recordings/{id}", Perm: qa, Scope: r.recordingScope, Handler: f(r.handleAnnotate)},
		{Method: "DELETE", Pattern: "/api/v1/recordings/{id}", Perm: rbac.PermRecordingDelete, Scope: r.recordingScope, Handler: f(r.handleDelete)},
		{Method: "POST", Pattern: "/api/v1/recordings/live/{call}/{action}", Perm: rbac.PermCallControl, Scope: live, Handler: f(r.handleControl)},
		{Method: "GET", Pattern: "/api/v1/qa/rules", Perm: read, Scope: queryScope, Handler: f(r.handleRules)},
		{Method: "POST", Pattern: "/api/v1/qa/rules", Perm: qa, Scope: bodyTenant, Handler: f(r.handleAddRule)},
		{Method: "DELETE", Pattern: "/api/v1/qa/rules/{id}", Perm: qa, Scope: r.rowScope(tableRules), Handler: f(r.handleDeleteRule)},
		{Method: "POST", Pattern: "/api/v1/qa/generate", Perm: qa, Scope: bodyTenant, Handler: f(r.handleGenerate)},
		{Method: "GET", Pattern: "/api/v1/qa/tasks", Perm: read, Scope: queryScope, Handler: f(r.handleTasks)},
		{Method: "PATCH", Pattern: "/api/v1/qa/tasks/{id}", Perm: qa, Scope: r.taskScope, Handler: f(r.handleUpdateTask)},
		{Method: "GET", Pattern: "/api/v1/qa/scores", Perm: read, Scope: queryScope, Handler: f(r.handleScores)},
	}
}

// queryScope: a search names its tenant, queue and agent in the query.
func queryScope(req *http.Request) rbac.Scope {
	q := req.URL.Query()
	return rbac.Scope{Tenant: q.Get("tenant"), Queue: q.Get("queue"), Agent: q.Get("agent")}
}

// callerSearch refuses a search by caller number (caller=) to whoever
// may not read the same calls' CDRs, cdr.read for the search's tenant, queue
// and agent: the recordings show the number masked, and an exact match on
// its blind index would confirm a guessed full number (an oracle). Whoever
// holds cdr.read there sees those numbers in full already; the searches
// that are let through are audited as every search is.
func callerSearch(access Access, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Query().Get("caller") != "" && (access == nil || !access.Can(req, rbac.PermCDRRead, queryScope(req))) {
			httpx.WriteError(w, http.StatusForbidden, "a search by caller number needs cdr.read for the same tenant, queue and agent")
			return
		}
		h.ServeHTTP(w, req)
	})
}

// recordingScope authorizes a request by recording id against the
// recording's tenant, queue and agent.
func (r *Recorder) recordingScope(req *http.Request) rbac.Scope {
	t, q, a, err := r.index.owner(req.Context(), req.PathValue("id"))
	if err != nil {
		return rbac.Scope{Tenant: unknownTenant} // no such row, or the database failed: deny either way
	}
	return rbac.Scope{Tenant: t, Queue: q, Agent: a}
}

// taskScope authorizes scoring a QA task against its tenant, its
// recording's queue and its agent, so a QA user bound to a queue scores
// that queue's tasks and no other's.
func (r *Recorder) taskScope(req *http.Request) rbac.Scope {
	t, q, a, err := r.index.taskOwner(req.Context(), req.PathValue("id"))
	if err != nil {
		return rbac.Scope{Tenant: unknownTenant}
	}
	return rbac.Scope{Tenant: t, Queue: q, Agent: a}
}

// rowScope authorizes a request by a QA rule's or task's id against its tenant.
func (r *Recorder) rowScope(table string) func(*http.Request) rbac.Scope {
	return func(req *http.Request) rbac.Scope {
		t, err := r.index.tenantOf(req.Context(), table, req.PathValue("id"))
		if err != nil {
			return rbac.Scope{Tenant: unknownTenant}
		}
		return rbac.Scope{Tenant: t}
	}
}

// bodyTenant reads {"tenant": …} from a JSON body and puts the body back.
func bodyTenant(req *http.Request) rbac.Scope {
	b, err := io.ReadAll(io.LimitReader(req.Body, httpx.DefaultBodyLimit))
	req.Body = io.NopCloser(bytes.NewReader(b))
	var v struct {
		Tenant string `json:"tenant"`
	}
	if err != nil || json.Unmarshal(b, &v) != nil || v.Tenant == "" {
		return rbac.Scope{Tenant: unknownTenant}
	}
	return rbac.Scope{Tenant: v.Tenant}
}
