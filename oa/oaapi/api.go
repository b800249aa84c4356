package oaapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/campaign"
	"github.com/yimen/yimen/oa/ctilink"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/oa/report"
	"golang.org/x/time/rate"
)

// Deps are what the API is given.
type Deps struct {
	OA    *oa.Service
	Admin *adminapi.API
	// Security provisions one-login users; nil turns one login off.
	Security *adminapi.Security
	// PBXKey verifies one-login tokens; nil turns one login off.
	PBXKey KeySource
	// SSORoles are the roles a one-login token may carry into the OA.
	SSORoles []string
	// Tenants are the tenants this OA serves.
	Tenants []string
	// PlatformRoutes are the admin API's routes mounted beside the OA's,
	// for the OpenAPI document.
	PlatformRoutes []route.Route
	// Dialer places calls through the PBX (回访); nil: none.
	Dialer Dialer
	// Campaigns are the outbound campaigns (外呼管理).
	Campaigns *campaign.Service
	// Links reports the CTI links' state by tenant.
	Links func() map[string]ctilink.Stats
	// Knowledge is the knowledge base; nil: its routes answer 503.
	Knowledge *knowledge.Service
	// Reports are the statistics; nil: their routes answer 503.
	Reports      *report.Service
	ReportConfig ReportConfig
	// BarOrigins are the PBX origins whose agent bar may read suggestions
	// with a knowledge token (knowledge_bar.go); none: no browser may.
	BarOrigins []string
	Log        *slog.Logger
}

// KeySource hands out the PBX's one-login public key (nil: none configured).
type KeySource interface {
	PublicKey() (*gm.PublicKey, error)
}

// API serves the OA over HTTP.
type API struct {
	d       Deps
	tenants map[string]bool
	limits  *limiters
	bar     barTokens // the agent bar's knowledge tokens
}

// New builds the API.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Links == nil {
		d.Links = func() map[string]ctilink.Stats { return nil }
	}
	if d.ReportConfig.RatePerSecond <= 0 {
		d.ReportConfig.RatePerSecond = 2
	}
	if d.ReportConfig.Burst <= 0 {
		d.ReportConfig.Burst = 20
	}
	a := &API{d: d, tenants: map[string]bool{}, limits: &limiters{every: rate.Limit(d.ReportConfig.RatePerSecond), burst: d.ReportConfig.Burst, m: map[string]*rate.Limiter{}}, bar: newBarTokens()}
	for _, t := range d.Tenants {
		a.tenants[t] = true
	}
	return a
}

// who is the caller: tenant and the ticket actor.
func (a *API) who(r *http.Request) (string, oa.Actor, error) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return "", oa.Actor{}, errors.New("no principal behind the guard")
	}
	st, err := a.d.OA.StaffOf(r.Context(), p.Tenant, p.UserID)
	if err != nil {
		return "", oa.Actor{}, err
	}
	return p.Tenant, oa.Actor{UserID: p.UserID, Department: st.DepartmentID, Supervisor: a.d.Admin.Can(r, rbac.PermOATicketSupervise, rbac.Scope{})}, nil
}

// fail answers an error: field problems as 400 with "fields", the rest as
// httpx.Fail does (5xx logged once, never shown).
func (a *API) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if fe, ok := oa.AsFieldErrors(err); ok {
		a.d.Log.Info("oa request refused", "path", r.URL.Path, "fields", fe.Error())
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid input: " + fe.Error(), "fields": fe})
		return
	}
	httpx.Fail(w, r, a.d.Log, "cannot "+what, err)
}

// read decodes a JSON body; a bad one is answered 400/413.
func read(w http.ResponseWriter, r *http.Request, v any) bool { return httpx.ReadJSON(w, r, v) }

// pathID reads a numeric path value.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, oa.FieldErrors{name: "a positive number"}
	}
	return v, nil
}

// queryInt reads an optional numeric query parameter into bad on error.
func queryInt(r *http.Request, name string, bad oa.FieldErrors) int64 {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		bad[name] = "a non-negative number"
	}
	return v
}

func paging(r *http.Request, bad oa.FieldErrors) oa.Paging {
	q := r.URL.Query()
	return oa.Paging{Limit: int(queryInt(r, "limit", bad)), Offset: int(queryInt(r, "offset", bad)), Sort: q.Get("sort"), Desc: q.Get("desc") == "true"}
}

// list answers a page of a listing.
func list[T any](w http.ResponseWriter, items []T, total int) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
}

func (a *API) pii(r *http.Request) bool {
	return a.d.Admin.Can(r, rbac.PermOACustomerPII, rbac.Scope{})
}
