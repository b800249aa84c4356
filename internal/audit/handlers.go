package audit

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
)

// Gate decides whether the caller in ctx may use perm ("audit.read" or
// "audit.export") and names them; the process wiring the HTTP server builds
// it from auth.PrincipalFrom and rbac.Authorize. Auditors see only their own
// tenant: the tenant Gate returns overrides any in the query.
type Gate func(ctx context.Context, perm string) (actor, tenant string, err error)

// Permissions the handlers ask Gate for.
const (
	PermRead   = "audit.read"
	PermExport = "audit.export"
)

// SearchHandler answers GET ?from=&to=(RFC 3339)&actor=&action=&after=&limit=
// with JSON entries.
func (l *Log) SearchHandler(gate Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, ok := l.gated(w, r, gate, PermRead)
		if !ok {
			return
		}
		if f.Limit <= 0 || f.Limit > 1000 {
			f.Limit = 1000
		}
		es, err := l.Search(r.Context(), f)
		if err != nil {
			l.log.ErrorContext(r.Context(), "audit search", "err", err)
			http.Error(w, "search failed", http.StatusInternalServerError)
			return
		}
		type item struct {
			ID      int64     `json:"id"`
			Time    time.Time `json:"time"`
			Tenant  string    `json:"tenant"`
			Actor   string    `json:"actor"`
			Action  string    `json:"action"`
			Target  string    `json:"target"`
			Outcome string    `json:"outcome"`
			Source  string    `json:"source"`
			Detail  string    `json:"detail"`
		}
		items := make([]item, len(es))
		for i, e := range es {
			items[i] = item{e.ID, e.Time, e.Tenant, e.Actor, e.Action, e.Target, e.Outcome, e.Source, e.Detail}
		}
		writeJSON(w, items)
	})
}

// ExportHandler streams matching entries as CSV and audits the export itself.
func (l *Log) ExportHandler(gate Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, actor, ok := l.gated(w, r, gate, PermExport)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
		n, err := l.ExportCSV(r.Context(), w, f)
		outcome := OutcomeOK
		if err != nil {
			outcome = OutcomeFailed
			l.log.ErrorContext(r.Context(), "audit export", "err", err)
		}
		if _, aerr := l.Append(r.Context(), Entry{Tenant: f.Tenant, Actor: actor, Action: "audit.export", Outcome: outcome,
			Source: r.RemoteAddr, Detail: strconv.Itoa(n) + " rows; " + r.URL.RawQuery}); aerr != nil {
			l.log.ErrorContext(r.Context(), "audit append", "err", aerr)
		}
	})
}

func (l *Log) gated(w http.ResponseWriter, r *http.Request, gate Gate, perm string) (Filter, string, bool) {
	actor, tenant, err := gate(r.Context(), perm)
	if err != nil {
		if errors.Is(err, errs.ErrForbidden) {
			http.Error(w, "forbidden", http.StatusForbidden)
		} else {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
		return Filter{}, "", false
	}
	f, err := parseFilter(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return Filter{}, "", false
	}
	f.Tenant = tenant
	return f, actor, true
}

func parseFilter(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	var f Filter
	var err error
	parseTime := func(k string) time.Time {
		v := q.Get(k)
		if v == "" || err != nil {
			return time.Time{}
		}
		t, perr := time.Parse(time.RFC3339, v)
		if perr != nil {
			err = errors.New("bad " + k + ": want RFC 3339")
		}
		return t
	}
	f.From, f.To = parseTime("from"), parseTime("to")
	f.Actor, f.Action = q.Get("actor"), q.Get("action")
	if v := q.Get("after"); v != "" && err == nil {
		f.AfterID, err = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("limit"); v != "" && err == nil {
		f.Limit, err = strconv.Atoi(v)
	}
	return f, err
}

// writeJSON answers 200 with a reply no cache may keep.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, v)
}
