package pbx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
)

// ContactCenterAdmin changes a running tenant's agents and queues; the
// contact centre (internal/boot over the ACD) implements it. Changes apply
// to the live ACD at once and are kept across restarts.
type ContactCenterAdmin interface {
	Agents(ctx context.Context, tenant string) ([]AgentSpec, error)
	PutAgent(ctx context.Context, tenant string, a AgentSpec) (created bool, err error)
	DeleteAgent(ctx context.Context, tenant, id string) error
	Queues(ctx context.Context, tenant string) ([]QueueSpec, error)
	PutQueue(ctx context.Context, tenant string, q QueueSpec) (created bool, err error)
	DeleteQueue(ctx context.Context, tenant, id string) error
}

// AgentSpec is one agent as the admin API reads and writes it.
type AgentSpec struct {
	ID          string
	Name        string
	Extension   string
	Skills      map[string]int // skill → level 1..100
	RingTimeout time.Duration  // overrides the queue's; 0: the queue's
}

// QueueSpec is one queue as the admin API reads and writes it.
type QueueSpec struct {
	ID            string
	Name          string
	Strategy      string
	Agents        []string
	Skill         string
	MinLevel      int
	RingTimeout   time.Duration
	WrapUp        time.Duration
	MaxWait       time.Duration
	Overflow      string // queue:ID, extension:N, voicemail:BOX, ivr:FLOW, hangup
	AnnounceEvery time.Duration
	CallbackAfter time.Duration
	SLThreshold   time.Duration
}

// FieldError refuses a request for one field of its body; the admin API
// answers 400 naming it. It wraps errs.ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return errs.ErrInvalid }

// agentSpecJSON and queueSpecJSON carry durations as Go duration strings ("15s"),
// as the YAML configuration does.
type agentSpecJSON struct {
	ID          string         `json:"id,omitempty"`
	Name        string         `json:"name"`
	Extension   string         `json:"extension"`
	Skills      map[string]int `json:"skills,omitempty"`
	RingTimeout string         `json:"ring_timeout,omitempty"`
}

type queueSpecJSON struct {
	ID            string   `json:"id,omitempty"`
	Name          string   `json:"name,omitempty"`
	Strategy      string   `json:"strategy,omitempty"`
	Agents        []string `json:"agents,omitempty"`
	Skill         string   `json:"skill,omitempty"`
	MinLevel      int      `json:"min_level,omitempty"`
	RingTimeout   string   `json:"ring_timeout,omitempty"`
	WrapUp        string   `json:"wrap_up,omitempty"`
	MaxWait       string   `json:"max_wait,omitempty"`
	Overflow      string   `json:"overflow,omitempty"`
	AnnounceEvery string   `json:"announce_every,omitempty"`
	CallbackAfter string   `json:"callback_after,omitempty"`
	SLThreshold   string   `json:"sl_threshold,omitempty"`
}

// MountContactCenterAdmin mounts the agent and queue endpoints: reads need
// config.read, changes config.write, in the tenant of the path; every
// change and denial is audited.
func (s *Server) MountContactCenterAdmin(cc ContactCenterAdmin) {
	h := contactCenterHandlers{srv: s, cc: cc}
	read := func(action string, fn http.HandlerFunc) http.Handler {
		return s.protect(route{action: action, perm: rbac.PermConfigRead, target: pathTenant}, fn)
	}
	write := func(action string, fn http.HandlerFunc) http.Handler {
		return s.protect(route{action: action, perm: rbac.PermConfigWrite, target: pathTenant}, fn)
	}
	s.Mount("GET /api/v1/tenants/{tenant}/agents", read("acd.agent.list", h.listAgents))
	s.Mount("PUT /api/v1/tenants/{tenant}/agents/{id}", write("acd.agent.put", h.putAgent))
	s.Mount("DELETE /api/v1/tenants/{tenant}/agents/{id}", write("acd.agent.delete", h.deleteAgent))
	s.Mount("GET /api/v1/tenants/{tenant}/queues", read("acd.queue.list", h.listQueues))
	s.Mount("PUT /api/v1/tenants/{tenant}/queues/{id}", write("acd.queue.put", h.putQueue))
	s.Mount("DELETE /api/v1/tenants/{tenant}/queues/{id}", write("acd.queue.delete", h.deleteQueue))
}

type contactCenterHandlers struct {
	srv *Server
	cc  ContactCenterAdmin
}

func (h contactCenterHandlers) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fe.Error(), "field": fe.Field})
		return
	}
	h.srv.writeAdminErr(w, r, what, err)
}

func (h contactCenterHandlers) listAgents(w http.ResponseWriter, r *http.Request) {
	list, err := h.cc.Agents(r.Context(), r.PathValue("tenant"))
	if err != nil {
		h.fail(w, r, "list agents", err)
		return
	}
	out := make([]agentSpecJSON, len(list))
	for i, a := range list {
		out[i] = toAgentSpecJSON(a)
	}
	writeJSON(w, http.StatusOK, out)
}

// putAgent adds or replaces an agent: {"name", "extension", "skills"?,
// "ring_timeout"?}.
func (h contactCenterHandlers) putAgent(w http.ResponseWriter, r *http.Request) {
	var b agentSpecJSON
	if !decodeJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if b.ID != "" && b.ID != id {
		h.fail(w, r, "put agent", &FieldError{"id", "differs from the path"})
		return
	}
	a := AgentSpec{ID: id, Name: b.Name, Extension: b.Extension, Skills: b.Skills}
	if a.Extension != "" && !h.srv.dir.hasExtension(r.PathValue("tenant"), a.Extension) {
		h.fail(w, r, "put agent", &FieldError{"extension", fmt.Sprintf("%q is not an extension of tenant %s", a.Extension, r.PathValue("tenant"))})
		return
	}
	var err error
	if a.RingTimeout, err = parseDuration("ring_timeout", b.RingTimeout); err != nil {
		h.fail(w, r, "put agent", err)
		return
	}
	created, err := h.cc.PutAgent(r.Context(), r.PathValue("tenant"), a)
	if err != nil {
		h.fail(w, r, "put agent", err)
		return
	}
	writeJSON(w, putStatus(created), toAgentSpecJSON(a))
}

func (h contactCenterHandlers) deleteAgent(w http.ResponseWriter, r *http.Request) {
	if err := h.cc.DeleteAgent(r.Context(), r.PathValue("tenant"), r.PathValue("id")); err != nil {
		h.fail(w, r, "delete agent", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h contactCenterHandlers) listQueues(w http.ResponseWriter, r *http.Request) {
	list, err := h.cc.Queues(r.Context(), r.PathValue("tenant"))
	if err != nil {
		h.fail(w, r, "list queues", err)
		return
	}
	out := make([]queueSpecJSON, len(list))
	for i, q := range list {
		out[i] = toQueueSpecJSON(q)
	}
	writeJSON(w, http.StatusOK, out)
}

// putQueue adds or replaces a queue (see queueSpecJSON for the fields).
func (h contactCenterHandlers) putQueue(w http.ResponseWriter, r *http.Request) {
	var b queueSpecJSON
	if !decodeJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if b.ID != "" && b.ID != id {
		h.fail(w, r, "put queue", &FieldError{"id", "differs from the path"})
		return
	}
	q, err := fromQueueSpecJSON(id, b)
	if err != nil {
		h.fail(w, r, "put queue", err)
		return
	}
	created, err := h.cc.PutQueue(r.Context(), r.PathValue("tenant"), q)
	if err != nil {
		h.fail(w, r, "put queue", err)
		return
	}
	writeJSON(w, putStatus(created), toQueueSpecJSON(q))
}

func (h contactCenterHandlers) deleteQueue(w http.ResponseWriter, r *http.Request) {
	if err := h.cc.DeleteQueue(r.Context(), r.PathValue("tenant"), r.PathValue("id")); err != nil {
		h.fail(w, r, "delete queue", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func putStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func parseDuration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, &FieldError{field, fmt.Sprintf("%q is not a duration such as \"15s\" or \"2m\"", v)}
	}
	return d, nil
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func toAgentSpecJSON(a AgentSpec) agentSpecJSON {
	return agentSpecJSON{ID: a.ID, Name: a.Name, Extension: a.Extension, Skills: a.Skills, RingTimeout: formatDuration(a.RingTimeout)}
}

func toQueueSpecJSON(q QueueSpec) queueSpecJSON {
	return queueSpecJSON{ID: q.ID, Name: q.Name, Strategy: q.Strategy, Agents: q.Agents, Skill: q.Skill, MinLevel: q.MinLevel,
		RingTimeout: formatDuration(q.RingTimeout), WrapUp: formatDuration(q.WrapUp), MaxWait: formatDuration(q.MaxWait),
		Overflow: q.Overflow, AnnounceEvery: formatDuration(q.AnnounceEvery), CallbackAfter: formatDuration(q.CallbackAfter),
		SLThreshold: formatDuration(q.SLThreshold)}
}

func fromQueueSpecJSON(id string, b queueSpecJSON) (QueueSpec, error) {
	q := QueueSpec{ID: id, Name: b.Name, Strategy: b.Strategy, Agents: b.Agents, Skill: b.Skill, MinLevel: b.MinLevel, Overflow: b.Overflow}
	for _, d := range []struct {
		field string
		in    string
		out   *time.Duration
	}{
		{"ring_timeout", b.RingTimeout, &q.RingTimeout}, {"wrap_up", b.WrapUp, &q.WrapUp}, {"max_wait", b.MaxWait, &q.MaxWait},
		{"announce_every", b.AnnounceEvery, &q.AnnounceEvery}, {"callback_after", b.CallbackAfter, &q.CallbackAfter},
		{"sl_threshold", b.SLThreshold, &q.SLThreshold},
	} {
		v, err := parseDuration(d.field, d.in)
		if err != nil {
			return QueueSpec{}, err
		}
		*d.out = v
	}
	return q, nil
}
