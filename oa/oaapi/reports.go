package oaapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/time/rate"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/report"
)

// ReportConfig tunes the report API.
type ReportConfig struct {
	// KPI is the service level's definition unless a request names its own.
	KPI report.KPIConfig
	// Location is where days and hours begin (nil: UTC).
	Location *time.Location
	// RatePerSecond and Burst bound each caller's report requests (an API
	// token's, a session's): 2/s with bursts of 20 unless set.
	RatePerSecond float64
	Burst         int
	// CDRs is the PBX's CDR API, for a reconcile on request; nil: none.
	CDRs report.CDRSource
}

// limiters hands out one token bucket per caller.
type limiters struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

func (l *limiters) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 10000 { // callers come and go; a fresh bucket is a full one
		clear(l.m)
	}
	lim := l.m[key]
	if lim == nil {
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[key] = lim
	}
	return lim.Allow()
}

// reportGate answers 429 to a caller over its rate, then serves h.
func (a *API) reportGate(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.d.Reports == nil {
			a.fail(w, r, "report", errs.ErrUnavailable)
			return
		}
		p, _ := auth.PrincipalFrom(r.Context())
		if !a.limits.allow(p.Tenant + "/" + p.UserID) {
			w.Header().Set("Retry-After", "1")
			httpx.WriteError(w, http.StatusTooManyRequests, "report requests over the rate limit; retry later")
			return
		}
		h(w, r)
	})
}

// reportRange reads from and to: RFC 3339 instants, or dates (a to date
// includes that day); by default today so far.
func (a *API) reportRange(r *http.Request) (report.Range, error) {
	loc := a.d.ReportConfig.Location
	if loc == nil {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	rg := report.Range{From: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc), To: now}
	bad := oa.FieldErrors{}
	for key, dst := range map[string]*time.Time{"from": &rg.From, "to": &rg.To} {
		v := r.URL.Query().Get(key)
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			*dst = t
		} else if d, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
			if key == "to" {
				d = d.AddDate(0, 0, 1)
			}
			*dst = d
		} else {
			bad[key] = "an RFC 3339 time or a date (2006-01-02)"
		}
	}
	if len(bad) > 0 {
		return rg, bad
	}
	return rg, nil
}

func (a *API) reportKPI(r *http.Request) (report.KPIConfig, error) {
	c := a.d.ReportConfig.KPI
	q := r.URL.Query()
	bad := oa.FieldErrors{}
	for key, dst := range map[string]*int{"sl_seconds": &c.SLSeconds, "short_abandon_s": &c.ShortAbandonS} {
		if v := q.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad[key] = "a number of seconds"
			}
			*dst = n
		}
	}
	if v := q.Get("abandon_method"); v != "" {
		c.AbandonMethod = v
	}
	if len(bad) > 0 {
		return c, bad
	}
	c = c.WithDefaults()
	return c, c.Check()
}

// writeTable answers a report as JSON, CSV or an Excel workbook (format=).
func (a *API) writeTable(w http.ResponseWriter, r *http.Request, t report.Table) {
	name := t.Report + "-" + t.From.Format("20060102") + "-" + t.To.Format("20060102")
	switch r.URL.Query().Get("format") {
	case "", "json":
		httpx.WriteJSON(w, http.StatusOK, t)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		if err := t.WriteCSV(w); err != nil {
			a.d.Log.Warn("report csv cut short", "report", t.Report, "err", err)
		}
	case "xlsx":
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			a.fail(w, r, "export the report", err)
			return
		}
		head := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			head[i] = c.Label
		}
		_ = sw.SetRow("A1", head)
		for i, row := range t.Rows {
			cells := make([]any, len(t.Columns))
			for j, c := range t.Columns {
				cells[j] = xlsxCell(row[c.Key])
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, cells); err != nil {
				a.fail(w, r, "export the report", err)
				return
			}
		}
		if err := sw.Flush(); err != nil {
			a.fail(w, r, "export the report", err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		_ = f.Write(w)
	default:
		a.fail(w, r, "report", oa.FieldErrors{"format": "json, csv or xlsx"})
	}
}

func xlsxCell(v any) any {
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return ""
		}
		return *x
	case *int64:
		if x == nil {
			return ""
		}
		return *x
	}
	return v
}

func (a *API) reportTraffic(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	rg, err := a.reportRange(r)
	var kpi report.KPIConfig
	if err == nil {
		kpi, err = a.reportKPI(r)
	}
	if err == nil {
		q := r.URL.Query()
		var t report.Table
		if t, err = a.d.Reports.Traffic(r.Context(), p.Tenant, report.TrafficQuery{Range: rg, By: q.Get("by"), Queue: q.Get("queue"), Agent: q.Get("agent"),
			KPI: kpi, Loc: a.d.ReportConfig.Location}); err == nil {
			a.writeTable(w, r, t)
			return
		}
	}
	a.fail(w, r, "compute the traffic report", err)
}

func (a *API) dayKey(ms int64) string {
	loc := a.d.ReportConfig.Location
	if loc == nil {
		loc = time.UTC
	}
	return time.UnixMilli(ms).In(loc).Format("2006-01-02")
}

// rangeReport answers a report that needs only the tenant, the range and
// "by": compute runs once both are read, and its table is written in the
// format asked for.
func (a *API) rangeReport(w http.ResponseWriter, r *http.Request, what string,
	compute func(ctx context.Context, tenant string, rg report.Range, by string) (report.Table, error)) {
	p, _ := auth.PrincipalFrom(r.Context())
	rg, err := a.reportRange(r)
	if err == nil {
		var t report.Table
		if t, err = compute(r.Context(), p.Tenant, rg, r.URL.Query().Get("by")); err == nil {
			a.writeTable(w, r, t)
			return
		}
	}
	a.fail(w, r, what, err)
}

func (a *API) reportTickets(w http.ResponseWriter, r *http.Request) {
	a.rangeReport(w, r, "compute the ticket report", func(ctx context.Context, tenant string, rg report.Range, by string) (report.Table, error) {
		return a.d.Reports.Tickets(ctx, tenant, report.TicketQuery{Range: rg, By: by}, a.dayKey)
	})
}

func (a *API) reportTicketHandling(w http.ResponseWriter, r *http.Request) {
	a.rangeReport(w, r, "compute the ticket handling report", func(ctx context.Context, tenant string, rg report.Range, by string) (report.Table, error) {
		return a.d.Reports.TicketHandling(ctx, tenant, report.TicketQuery{Range: rg, By: by})
	})
}

func (a *API) reportCustomers(w http.ResponseWriter, r *http.Request) {
	a.rangeReport(w, r, "compute the customer report", a.d.Reports.Customers)
}

func (a *API) reportCDRs(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	rg, err := a.reportRange(r)
	bad := oa.FieldErrors{}
	limit, offset := int(queryInt(r, "limit", bad)), int(queryInt(r, "offset", bad))
	if err == nil && len(bad) > 0 {
		err = bad
	}
	if err == nil {
		q := r.URL.Query()
		var t report.Table
		if t, err = a.d.Reports.CDRs(r.Context(), p.Tenant, report.CDRQuery{Range: rg, Queue: q.Get("queue"), Agent: q.Get("agent"), Direction: q.Get("direction"),
			Disposition: q.Get("disposition"), Outcome: q.Get("outcome"), Limit: limit, Offset: offset}); err == nil {
			w.Header().Set("X-Total-Count", strconv.Itoa(t.Total))
			a.writeTable(w, r, t)
			return
		}
	}
	a.fail(w, r, "list call details", err)
}

func (a *API) reportDashboard(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	rg, err := a.reportRange(r)
	var kpi report.KPIConfig
	if err == nil {
		kpi, err = a.reportKPI(r)
	}
	if err == nil {
		var charts []report.Chart
		if charts, err = a.d.Reports.Dashboard(r.Context(), p.Tenant, rg, kpi, a.d.ReportConfig.Location); err == nil {
			httpx.WriteJSON(w, http.StatusOK, dashboardReply{From: rg.From, To: rg.To, Charts: charts})
			return
		}
	}
	a.fail(w, r, "compute the dashboard", err)
}

type dashboardReply struct {
	From   time.Time      `json:"from"`
	To     time.Time      `json:"to"`
	Charts []report.Chart `json:"charts"`
}

type dashboardConfig struct {
	Charts    []string `json:"charts"`
	Available []string `json:"available,omitempty"`
}

func (a *API) reportDashboardConfigGet(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	ids, err := a.d.Reports.DashboardCharts(r.Context(), p.Tenant)
	if err != nil {
		a.fail(w, r, "read the dashboard", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, dashboardConfig{Charts: ids, Available: report.ChartIDs()})
}

func (a *API) reportDashboardConfigPut(w http.ResponseWriter, r *http.Request) {
	var in dashboardConfig
	if !read(w, r, &in) {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.d.Reports.SetDashboardCharts(r.Context(), p.Tenant, in.Charts); err != nil {
		a.fail(w, r, "save the dashboard", err)
		return
	}
	a.reportDashboardConfigGet(w, r)
}

func (a *API) reportReconcile(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	if a.d.ReportConfig.CDRs == nil {
		a.fail(w, r, "reconcile", fmt.Errorf("no CDR API configured: %w", errs.ErrUnavailable))
		return
	}
	rg, err := a.reportRange(r)
	if err == nil && rg.To.Sub(rg.From) > 31*24*time.Hour {
		err = oa.FieldErrors{"to": "at most 31 days after from"}
	}
	if err == nil {
		var res report.ReconcileResult
		if res, err = a.d.Reports.Reconcile(r.Context(), p.Tenant, a.d.ReportConfig.CDRs, rg.From, rg.To); err == nil {
			httpx.WriteJSON(w, http.StatusOK, res)
			return
		}
	}
	a.fail(w, r, "reconcile", err)
}

// reportFormulas lists every report's formulas with the KPI definition in force.
func (a *API) reportFormulas(w http.ResponseWriter, r *http.Request) {
	kpi, err := a.reportKPI(r)
	if err != nil {
		a.fail(w, r, "list formulas", err)
		return
	}
	loc := a.d.ReportConfig.Location
	if loc == nil {
		loc = time.UTC
	}
	// timezone: where the reports' days begin, so a page picks "today" as
	// the reports count it wherever the browser is.
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"kpi": kpi, "traffic": report.Formulas(kpi), "thresholds": report.Thresholds(), "timezone": loc.String(),
		"abandon_methods": strings.Split(report.AbandonFailures+","+report.AbandonIgnored+","+report.AbandonShortExcluded, ",")})
}
