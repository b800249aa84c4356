package recorder

import (
	"fmt"
	"github.com/yimen/yimen/internal/httpx"
	"net/http"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

func (r *Recorder) handleRules(w http.ResponseWriter, req *http.Request) {
	tenant := req.URL.Query().Get("tenant")
	if tenant == "" {
		r.writeErr(w, req, fmt.Errorf("recorder: tenant is required: %w", errs.ErrInvalid))
		return
	}
	list, err := r.Rules(req.Context(), tenant)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	if list == nil {
		list = []Rule{}
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}

func (r *Recorder) handleAddRule(w http.ResponseWriter, req *http.Request) {
	rule := Rule{Enabled: true}
	if err := decodeBody(w, req, &rule); err != nil {
		r.writeErr(w, req, err)
		return
	}
	rule.ID = 0
	rule, err := r.AddRule(req.Context(), rule)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, rule)
}

func (r *Recorder) handleDeleteRule(w http.ResponseWriter, req *http.Request) {
	id, err := strconv.ParseInt(req.PathValue("id"), 10, 64)
	if err != nil {
		r.writeErr(w, req, fmt.Errorf("recorder: rule id: %w", errs.ErrInvalid))
		return
	}
	if err := r.DeleteRule(req.Context(), id); err != nil {
		r.writeErr(w, req, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleGenerate runs the tenant's rules over one day's recordings
// (body {"tenant": "...", "day": "YYYY-MM-DD"}); it is idempotent.
func (r *Recorder) handleGenerate(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Tenant string `json:"tenant"`
		Day    string `json:"day"`
	}
	if err := decodeBody(w, req, &body); err != nil {
		r.writeErr(w, req, err)
		return
	}
	day, err := time.ParseInLocation(time.DateOnly, body.Day, r.loc)
	if err != nil || body.Tenant == "" {
		r.writeErr(w, req, fmt.Errorf("recorder: tenant and day (YYYY-MM-DD) are required: %w", errs.ErrInvalid))
		return
	}
	n, err := r.GenerateTasks(req.Context(), body.Tenant, day)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"created": n})
}

// handleTasks lists QA tasks, kept to the agent or queue the query names
// (the scope the guard authorized).
func (r *Recorder) handleTasks(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	f := TaskFilter{Tenant: q.Get("tenant"), FromDay: q.Get("from"), ToDay: q.Get("to"), State: q.Get("state"),
		Assignee: q.Get("assignee"), Agent: q.Get("agent"), Queue: q.Get("queue")}
	if v := q.Get("rule"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			r.writeErr(w, req, fmt.Errorf("recorder: rule must be an id: %w", errs.ErrInvalid))
			return
		}
		f.RuleID = id
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			r.writeErr(w, req, fmt.Errorf("recorder: limit must be 1..1000: %w", errs.ErrInvalid))
			return
		}
		f.Limit = n
	}
	list, err := r.Tasks(req.Context(), f)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	if list == nil {
		list = []Task{}
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}

func (r *Recorder) handleUpdateTask(w http.ResponseWriter, req *http.Request) {
	id, err := strconv.ParseInt(req.PathValue("id"), 10, 64)
	if err != nil {
		r.writeErr(w, req, fmt.Errorf("recorder: task id: %w", errs.ErrInvalid))
		return
	}
	var u TaskUpdate
	if err := decodeBody(w, req, &u); err != nil {
		r.writeErr(w, req, err)
		return
	}
	t, err := r.UpdateTask(req.Context(), id, u)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

// handleScores sums the QA scores of the tenant, or of the agent or queue
// the query names: the guard authorized the caller for exactly that scope
// (an agent for its own id, a supervisor or QA for a bound queue), so the
// answer must keep to it.
func (r *Recorder) handleScores(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	f := ScoreFilter{Tenant: q.Get("tenant"), FromDay: q.Get("from"), ToDay: q.Get("to"), Agent: q.Get("agent"), Queue: q.Get("queue")}
	list, err := r.Scores(req.Context(), f)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	if list == nil {
		list = []AgentScore{}
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}
