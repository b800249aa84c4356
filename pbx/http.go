package pbx

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/pbxstore"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.sessionRoutes(mux)
	// Ban changes are the system administrator's (ban.write belongs to sysadmin
	// only); the list is global, so only platform grants count.
	bans := s.guard.AdminHandler(func(*http.Request) bool { return true }) // protect has authorized it
	mux.Handle("GET /api/v1/bans", s.protect(route{action: "ban.list", perm: rbac.PermConfigRead, target: s.platformScope}, bans))
	mux.Handle("POST /api/v1/bans", s.protect(route{action: "ban.create", perm: rbac.PermBanWrite, target: s.platformScope}, bans))
	mux.Handle("DELETE /api/v1/bans/{ip}", s.protect(route{action: "ban.lift", perm: rbac.PermBanWrite, target: s.platformScope}, bans))
	mux.Handle("GET /api/v1/registrations", s.protect(route{action: "registration.read", perm: rbac.PermConfigRead, target: queryScope},
		http.HandlerFunc(s.handleRegistrations)))
	mux.Handle("GET /api/v1/cdrs", s.protect(route{action: "cdr.read", perm: rbac.PermCDRRead, target: queryScope, reads: true},
		http.HandlerFunc(s.handleCDRs)))
	mux.Handle("GET /api/v1/calls", s.protect(route{action: "call.read", perm: rbac.PermCallMonitor, target: queryScope, reads: true},
		http.HandlerFunc(s.handleCalls)))
	mux.Handle("POST /api/v1/tenants/{tenant}/extensions/{ext}/secret", s.protect(route{action: "sip.secret.rotate", perm: rbac.PermConfigWrite, target: pathTenant},
		http.HandlerFunc(s.handleRotateSecret)))
	s.userRoutes(mux)
	s.roleRoutes(mux)
	s.auditRoutes(mux)
	// Profiling for performance work: a heap profile can hold key material,
	// so it takes the platform's config.write.
	mux.Handle("GET /debug/pprof/", s.admin(pprof.Index))
	mux.Handle("GET /debug/pprof/profile", s.admin(pprof.Profile))
	mux.Handle("GET /debug/pprof/heap", s.admin(pprof.Handler("heap").ServeHTTP))
	mux.Handle("GET /debug/pprof/goroutine", s.admin(pprof.Handler("goroutine").ServeHTTP))
	mux.Handle("GET /debug/pprof/allocs", s.admin(pprof.Handler("allocs").ServeHTTP))
	return mux
}

// admin guards a platform-wide operation (profiling, flow reloads): the
// platform tenant's config.write, which only its sysadmin holds.
func (s *Server) admin(f http.HandlerFunc) http.Handler {
	return s.protect(route{action: "config.change", perm: rbac.PermConfigWrite, target: s.platformScope, reads: true}, f)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// statusFor maps the error kinds to HTTP status codes, at the edge only.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errs.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"status": "ok", "calls": s.calls.Active(), "registrations": s.regr.Count(), "rtp_ports_in_use": s.relay.PortsInUse()})
}

type bindingJSON struct {
	Tenant    string    `json:"tenant"`
	Extension string    `json:"extension"`
	Contact   string    `json:"contact"`
	Received  string    `json:"received"`
	Transport string    `json:"transport"`
	Expires   time.Time `json:"expires"`
	UserAgent string    `json:"user_agent"`
}

func (s *Server) handleRegistrations(w http.ResponseWriter, r *http.Request) {
	out := []bindingJSON{}
	only := s.tenantFilter(r)
	for _, t := range s.cfg.Tenants {
		if only != "" && only != t.Name {
			continue
		}
		exts, _ := t.ExtensionList()
		for _, e := range exts {
			for _, b := range s.regr.Lookup(t.Name, e) {
				out = append(out, bindingJSON{t.Name, e, b.Contact, b.Received.String(), b.Transport, b.Expires.UTC(), b.UserAgent})
			}
		}
	}
	writeJSON(w, 200, out)
}

type cdrJSON struct {
	ID          string            `json:"id"`
	Tenant      string            `json:"tenant"`
	Caller      string            `json:"caller"`
	Callee      string            `json:"callee"`
	Start       string            `json:"start"`
	Answer      *string           `json:"answer,omitempty"`
	End         string            `json:"end"`
	RingMS      int64             `json:"ring_ms"`
	TalkMS      int64             `json:"talk_ms"`
	HoldMS      int64             `json:"hold_ms"`
	Disposition string            `json:"disposition"`
	HangupSide  string            `json:"hangup_side"`
	HangupCause string            `json:"hangup_cause"`
	SIPCode     int               `json:"sip_code"`
	ACallID     string            `json:"a_call_id"`
	BCallID     string            `json:"b_call_id"`
	A           pbxstore.LegStats `json:"caller_leg"`
	B           pbxstore.LegStats `json:"callee_leg"`
	Dropped     uint64            `json:"dropped_foreign"`
	// Survey: absent when none was asked; answered false (score null) when the caller gave none.
	Survey *surveyJSON `json:"survey,omitempty"`
	// Queue: absent unless the call went through an ACD queue.
	Queue *queueJSON `json:"queue,omitempty"`
}

type surveyJSON struct {
	Answered bool `json:"answered"`
	Score    *int `json:"score"`
}

func (s *Server) handleCDRs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := pbxstore.CDRFilter{Tenant: s.tenantFilter(r), Number: q.Get("number")}
	if f.Tenant == "" {
		writeError(w, 400, "tenant is required")
		return
	}
	// A queue- or agent-scoped caller sees only that queue's or agent's calls:
	// an agent's are those of the agent's extension; a queue's (below) are
	// those the ACD's log ended in it.
	if a := q.Get("agent"); a != "" {
		ext := s.agentExtension(f.Tenant, a)
		if ext == "" || (f.Number != "" && f.Number != ext) {
			writeJSON(w, 200, []cdrJSON{})
			return
		}
		f.Number = ext
	}
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, 400, key+" must be RFC 3339")
				return
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, 400, "limit must be 1..1000")
			return
		}
		f.Limit = n
	}
	recs := s.queueRecords()
	if qn := q.Get("queue"); qn != "" {
		if recs == nil {
			writeJSON(w, 200, []cdrJSON{})
			return
		}
		// A call's queue record comes after its start, so "from" bounds
		// both; the end of the call's queueing may fall after "to".
		ids, err := recs.QueueCalls(r.Context(), f.Tenant, qn, f.From, time.Time{}, 1000)
		if err != nil {
			s.log.Error("list queue calls", "queue", qn, "err", err)
			writeError(w, statusFor(err), "cannot list CDRs")
			return
		}
		if len(ids) == 0 {
			writeJSON(w, 200, []cdrJSON{})
			return
		}
		f.IDs = ids
	}
	list, err := s.store.CDRs(r.Context(), f)
	if err != nil {
		s.log.Error("list cdrs", "err", err)
		writeError(w, statusFor(err), "cannot list CDRs")
		return
	}
	var sums map[string]QueueSummary
	if recs != nil && len(list) > 0 {
		ids := make([]string, len(list))
		for i, c := range list {
			ids[i] = c.ID
		}
		if sums, err = recs.Summaries(r.Context(), f.Tenant, ids); err != nil {
			s.log.Error("queue summaries for cdrs", "err", err)
			writeError(w, statusFor(err), "cannot list CDRs")
			return
		}
	}
	out := make([]cdrJSON, 0, len(list))
	for _, c := range list {
		j := cdrJSON{ID: c.ID, Tenant: c.Tenant, Caller: c.Caller, Callee: c.Callee, Start: c.Start.UTC().Format(time.RFC3339Nano),
			End: c.End.UTC().Format(time.RFC3339Nano), RingMS: c.Ring.Milliseconds(), TalkMS: c.Talk.Milliseconds(), HoldMS: c.Hold.Milliseconds(),
			Disposition: c.Disposition, HangupSide: c.HangupSide, HangupCause: c.HangupCause, SIPCode: c.SIPCode,
			ACallID: c.ACallID, BCallID: c.BCallID, A: c.A, B: c.B, Dropped: c.DroppedForeign}
		if qs, ok := sums[c.ID]; ok {
			j.Queue = queueJSONOf(qs)
		}
		if c.Survey != nil {
			j.Survey = &surveyJSON{Answered: c.Survey.Score != nil, Score: c.Survey.Score}
		}
		if !c.Answer.IsZero() {
			a := c.Answer.UTC().Format(time.RFC3339Nano)
			j.Answer = &a
		}
		out = append(out, j)
	}
	writeJSON(w, 200, out)
}

// handleRotateSecret issues a new SIP secret (or sets the one given, when
// migrating phones from another system); it is shown only in this response.
func (s *Server) handleRotateSecret(w http.ResponseWriter, r *http.Request) {
	tenant, ext := r.PathValue("tenant"), r.PathValue("ext")
	if !s.dir.hasExtension(tenant, ext) {
		writeError(w, 404, "no such extension")
		return
	}
	var body struct {
		Secret string `json:"secret"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeError(w, 400, "body must be JSON {\"secret\": \"...\"} or empty")
			return
		}
		if body.Secret != "" && !validSecret(body.Secret) {
			writeError(w, 400, "secret must be 8 to 64 printable ASCII characters without spaces")
			return
		}
	}
	secret, err := s.setSecret(r.Context(), tenant, ext, body.Secret)
	if err != nil {
		s.log.Error("rotate secret", "tenant", tenant, "ext", ext, "err", err)
		writeError(w, statusFor(err), "cannot rotate secret")
		return
	}
	writeJSON(w, 200, map[string]string{"tenant": tenant, "extension": ext, "secret": secret})
}

func (s *Server) handleCalls(w http.ResponseWriter, r *http.Request) {
	list := s.calls.Calls()
	q := r.URL.Query()
	t := s.tenantFilter(r)
	ext, byAgent := "", q.Get("agent") != ""
	if byAgent {
		ext = s.agentExtension(t, q.Get("agent"))
	}
	kept := make([]callJSON, 0, len(list))
	for _, c := range list {
		switch {
		case t != "" && c.Tenant != t:
		case q.Get("queue") != "": // calls carry no queue yet
		case byAgent && (ext == "" || (c.Caller != ext && c.Callee != ext)):
		default:
			kept = append(kept, callJSONOf(c))
		}
	}
	writeJSON(w, 200, kept)
}

// callJSON is a call in progress as GET /api/v1/calls lists it.
type callJSON struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Caller    string    `json:"caller"`
	Callee    string    `json:"callee"`
	State     string    `json:"state"`
	Start     time.Time `json:"start"`
	Answered  time.Time `json:"answered,omitzero"`
	OnHold    bool      `json:"on_hold"`
	CallerRTP string    `json:"caller_rtp"`          // relay address facing the caller
	CalleeRTP string    `json:"callee_rtp"`          // relay address facing the callee
	Connected string    `json:"connected,omitempty"` // the extension bridged on the callee side (the agent)
	PacketsIn [2]uint64 `json:"packets_in"`          // caller, callee
}

func callJSONOf(c b2bua.CallInfo) callJSON {
	return callJSON{ID: c.ID, Tenant: c.Tenant, Caller: c.Caller, Callee: c.Callee, State: c.State, Start: c.Start,
		Answered: c.Answered, OnHold: c.OnHold, CallerRTP: c.CallerRTP, CalleeRTP: c.CalleeRTP, Connected: c.Connected, PacketsIn: c.PacketsIn}
}

// agentExtension is the extension of a tenant's configured agent, or "".
func (s *Server) agentExtension(tenant, agent string) string {
	for _, t := range s.cfg.Tenants {
		if t.Name != tenant {
			continue
		}
		for _, a := range t.Agents {
			if a.ID == agent {
				return a.Extension
			}
		}
	}
	return ""
}

func validSecret(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
