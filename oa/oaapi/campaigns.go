package oaapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/campaign"
)

// importLimit bounds a list file's upload.
const importLimit = 32 << 20

// campaignReq is one campaign request: the service, the caller and the
// path's ids.
type campaignReq struct {
	cs           *campaign.Service
	tenant, user string
	id, sub      int64
	w            http.ResponseWriter
	r            *http.Request
}

// errAnswered: the request has been answered already (a bad body).
var errAnswered = errors.New("answered")

// body decodes the request's JSON body into v.
func (q campaignReq) body(v any) error {
	if !read(q.w, q.r, v) {
		return errAnswered
	}
	return nil
}

// query reads the listing's paging and an optional numeric parameter.
func (q campaignReq) paging(extra string) (oa.Paging, int64, error) {
	bad := oa.FieldErrors{}
	pg := paging(q.r, bad)
	var v int64
	if extra != "" {
		v = queryInt(q.r, extra, bad)
	}
	if len(bad) > 0 {
		return pg, 0, bad
	}
	return pg, v, nil
}

// campaignRoute serves one campaign request: ids names the path's ids
// ("id", "aid", "tid"); do answers what to send with status (nil: 204).
func (a *API) campaignRoute(what string, status int, ids []string, do func(q campaignReq) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.d.Campaigns == nil {
			httpx.WriteError(w, http.StatusServiceUnavailable, "campaigns are not configured")
			return
		}
		p, _ := auth.PrincipalFrom(r.Context())
		q := campaignReq{cs: a.d.Campaigns, tenant: p.Tenant, user: p.UserID, w: w, r: r}
		var err error
		for i, name := range ids {
			v, e := pathID(r, name)
			err = errors.Join(err, e)
			if i == 0 {
				q.id = v
			} else {
				q.sub = v
			}
		}
		var out any
		if err == nil {
			out, err = do(q)
		}
		switch {
		case errors.Is(err, errAnswered):
		case errors.Is(err, errs.ErrUnavailable):
			a.d.Log.Warn("campaign call not placed", "path", r.URL.Path, "err", err)
			httpx.WriteError(w, http.StatusBadGateway, "the PBX did not place the call: "+err.Error())
		case err != nil:
			a.fail(w, r, what, err)
		case out == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			httpx.WriteJSON(w, status, out)
		}
	}
}

// listOf is a listing's reply.
func listOf(items any, total int) any { return map[string]any{"items": items, "total": total} }

func (a *API) campaignList() http.HandlerFunc {
	return a.campaignRoute("list campaigns", 200, nil, func(q campaignReq) (any, error) {
		pg, _, err := q.paging("")
		if err != nil {
			return nil, err
		}
		items, total, err := q.cs.List(q.r.Context(), q.tenant, q.r.URL.Query().Get("state"), pg.Limit, pg.Offset)
		return listOf(items, total), err
	})
}

func (a *API) campaignCreate() http.HandlerFunc {
	return a.campaignRoute("create the campaign", 201, nil, func(q campaignReq) (any, error) {
		var in campaign.Input
		if err := q.body(&in); err != nil {
			return nil, err
		}
		return q.cs.Create(q.r.Context(), q.tenant, q.user, in)
	})
}

type generated struct {
	Campaign campaign.Campaign `json:"campaign"`
	Report   campaign.Report   `json:"report"`
}

func (a *API) campaignGenerate() http.HandlerFunc {
	return a.campaignRoute("generate the campaign", 201, nil, func(q campaignReq) (any, error) {
		var in campaign.GenerateInput
		if err := q.body(&in); err != nil {
			return nil, err
		}
		c, rep, err := q.cs.Generate(q.r.Context(), q.tenant, q.user, in)
		return generated{Campaign: c, Report: rep}, err
	})
}

func (a *API) campaignGet() http.HandlerFunc {
	return a.campaignRoute("read the campaign", 200, []string{"id"}, func(q campaignReq) (any, error) {
		return q.cs.Get(q.r.Context(), q.tenant, q.id)
	})
}

func (a *API) campaignUpdate() http.HandlerFunc {
	return a.campaignRoute("change the campaign", 200, []string{"id"}, func(q campaignReq) (any, error) {
		var in campaign.Input
		if err := q.body(&in); err != nil {
			return nil, err
		}
		return q.cs.Update(q.r.Context(), q.tenant, q.user, q.id, in)
	})
}

type controlInput struct {
	Action string `json:"action"` // start, pause, resume, stop
}

func (a *API) campaignControl() http.HandlerFunc {
	return a.campaignRoute("start, pause, resume or stop the campaign", 200, []string{"id"}, func(q campaignReq) (any, error) {
		var in controlInput
		if err := q.body(&in); err != nil {
			return nil, err
		}
		return q.cs.Control(q.r.Context(), q.tenant, q.user, q.id, in.Action)
	})
}

func (a *API) campaignProgress() http.HandlerFunc {
	return a.campaignRoute("read the campaign's progress", 200, []string{"id"}, func(q campaignReq) (any, error) {
		return q.cs.Progress(q.r.Context(), q.tenant, q.id)
	})
}

func (a *API) campaignTargets() http.HandlerFunc {
	return a.campaignRoute("list the campaign's numbers", 200, []string{"id"}, func(q campaignReq) (any, error) {
		pg, _, err := q.paging("")
		if err != nil {
			return nil, err
		}
		items, total, err := q.cs.Targets(q.r.Context(), q.tenant, q.id, q.r.URL.Query().Get("state"), pg.Limit, pg.Offset)
		return listOf(items, total), err
	})
}

func (a *API) campaignTargetsAdd() http.HandlerFunc {
	return a.campaignRoute("add numbers to the campaign", 200, []string{"id"}, func(q campaignReq) (any, error) {
		var rows []campaign.NewTarget
		if err := q.body(&rows); err != nil {
			return nil, err
		}
		return q.cs.AddTargets(q.r.Context(), q.tenant, q.user, q.id, rows)
	})
}

// xlsxType is an Excel workbook's media type.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// campaignImport takes a list file as the request body: text/csv, or an
// Excel workbook (its media type, or the .xlsx file's ZIP signature).
func (a *API) campaignImport() http.HandlerFunc {
	return a.campaignRoute("import the list", 200, []string{"id"}, func(q campaignReq) (any, error) {
		body, err := io.ReadAll(q.r.Body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.WriteError(q.w, http.StatusRequestEntityTooLarge, "the file is larger than 32 MiB")
			return nil, errAnswered
		}
		if err != nil {
			return nil, err
		}
		mt, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
		xlsx := mt == xlsxType || bytes.HasPrefix(body, []byte("PK\x03\x04"))
		return q.cs.Import(q.r.Context(), q.tenant, q.user, q.id, bytes.NewReader(body), xlsx)
	})
}

func (a *API) campaignAttempts() http.HandlerFunc {
	return a.campaignRoute("list the campaign's attempts", 200, []string{"id"}, func(q campaignReq) (any, error) {
		_, target, err := q.paging("target")
		if err != nil {
			return nil, err
		}
		items, err := q.cs.Attempts(q.r.Context(), q.tenant, q.id, target)
		return listOf(items, len(items)), err
	})
}

func (a *API) campaignDisposition() http.HandlerFunc {
	return a.campaignRoute("record the disposition", 200, []string{"id", "aid"}, func(q campaignReq) (any, error) {
		var in campaign.DispositionInput
		if err := q.body(&in); err != nil {
			return nil, err
		}
		_, me, err := a.who(q.r)
		if err != nil {
			return nil, err
		}
		st, err := a.d.OA.StaffOf(q.r.Context(), q.tenant, q.user)
		if err != nil {
			return nil, err
		}
		return q.cs.SetDisposition(q.r.Context(), q.tenant, campaign.Disposer{UserID: q.user, Agent: st.Agent, Supervisor: me.Supervisor}, q.id, q.sub, in)
	})
}

// agent is the caller's agent id from their OA profile, the phone preview
// calls ring first.
func (a *API) agent(q campaignReq) (string, error) {
	st, err := a.d.OA.StaffOf(q.r.Context(), q.tenant, q.user)
	if err != nil {
		return "", err
	}
	if st.Agent == "" {
		return "", oa.FieldErrors{"agent": "your OA profile names no agent (phone) to dial from"}
	}
	return st.Agent, nil
}

func (a *API) campaignNext() http.HandlerFunc {
	return a.campaignRoute("take the next number", 200, []string{"id"}, func(q campaignReq) (any, error) {
		agent, err := a.agent(q)
		if err != nil {
			return nil, err
		}
		return q.cs.Next(q.r.Context(), q.tenant, q.id, agent)
	})
}

func (a *API) campaignDial() http.HandlerFunc {
	return a.campaignRoute("dial the number", 200, []string{"id", "tid"}, func(q campaignReq) (any, error) {
		agent, err := a.agent(q)
		if err != nil {
			return nil, err
		}
		return q.cs.DialCard(q.r.Context(), q.tenant, q.id, q.sub, agent)
	})
}

func (a *API) campaignSkip() http.HandlerFunc {
	return a.campaignRoute("skip the number", 204, []string{"id", "tid"}, func(q campaignReq) (any, error) {
		agent, err := a.agent(q)
		if err != nil {
			return nil, err
		}
		return nil, q.cs.Skip(q.r.Context(), q.tenant, q.id, q.sub, agent)
	})
}

func (a *API) campaignVisit() http.HandlerFunc {
	return a.campaignRoute("record the 回访", 200, []string{"id", "tid"}, func(q campaignReq) (any, error) {
		_, me, err := a.who(q.r)
		if err != nil {
			return nil, err
		}
		var in campaign.VisitInput
		if err := q.body(&in); err != nil {
			return nil, err
		}
		return q.cs.RecordVisit(q.r.Context(), q.tenant, me, q.id, q.sub, in)
	})
}

type dncInput struct {
	Phone  string `json:"phone"`
	Reason string `json:"reason,omitempty"`
}

func (a *API) dncList() http.HandlerFunc {
	return a.campaignRoute("list the do-not-call list", 200, nil, func(q campaignReq) (any, error) {
		pg, _, err := q.paging("")
		if err != nil {
			return nil, err
		}
		items, total, err := q.cs.DNC(q.r.Context(), q.tenant, pg.Limit, pg.Offset)
		return listOf(items, total), err
	})
}

func (a *API) dncAdd() http.HandlerFunc {
	return a.campaignRoute("add to the do-not-call list", 201, nil, func(q campaignReq) (any, error) {
		var in dncInput
		if err := q.body(&in); err != nil {
			return nil, err
		}
		return q.cs.AddDNC(q.r.Context(), q.tenant, q.user, in.Phone, in.Reason)
	})
}

func (a *API) dncRemove() http.HandlerFunc {
	return a.campaignRoute("remove from the do-not-call list", 204, nil, func(q campaignReq) (any, error) {
		var in dncInput
		if err := q.body(&in); err != nil {
			return nil, err
		}
		return nil, q.cs.RemoveDNC(q.r.Context(), q.tenant, q.user, in.Phone)
	})
}
