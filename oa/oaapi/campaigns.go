package oaapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/campaign"
)

// importLimit bounds a list file's upload.
const importLimit = 32 << 20

// campaigns answers 503 when the OA runs without campaigns (a test's bare API).
func (a *API) campaigns(w http.ResponseWriter) *campaign.Service {
	if a.d.Campaigns == nil {
		httpx.WriteError(w, http.StatusServiceUnavailable, "campaigns are not configured")
	}
	return a.d.Campaigns
}

// campaignIDs reads the campaign id and, if named, a second path id.
func campaignIDs(r *http.Request, second string) (int64, int64, error) {
	id, err := pathID(r, "id")
	if err != nil || second == "" {
		return id, 0, err
	}
	sub, err := pathID(r, second)
	return id, sub, err
}

func (a *API) campaignList(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	bad := oa.FieldErrors{}
	pg := paging(r, bad)
	if len(bad) > 0 {
		a.fail(w, r, "list campaigns", bad)
		return
	}
	items, total, err := cs.List(r.Context(), p.Tenant, r.URL.Query().Get("state"), pg.Limit, pg.Offset)
	if err != nil {
		a.fail(w, r, "list campaigns", err)
		return
	}
	list(w, items, total)
}

func (a *API) campaignCreate(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	var in campaign.Input
	if !read(w, r, &in) {
		return
	}
	c, err := cs.Create(r.Context(), p.Tenant, p.UserID, in)
	if err != nil {
		a.fail(w, r, "create the campaign", err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
}

func (a *API) campaignGenerate(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	var in campaign.GenerateInput
	if !read(w, r, &in) {
		return
	}
	c, rep, err := cs.Generate(r.Context(), p.Tenant, p.UserID, in)
	if err != nil {
		a.fail(w, r, "generate the campaign", err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, generated{Campaign: c, Report: rep})
}

type generated struct {
	Campaign campaign.Campaign `json:"campaign"`
	Report   campaign.Report   `json:"report"`
}

func (a *API) campaignGet(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	var c campaign.Campaign
	if err == nil {
		c, err = cs.Get(r.Context(), p.Tenant, id)
	}
	if err != nil {
		a.fail(w, r, "read the campaign", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (a *API) campaignUpdate(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	var in campaign.Input
	if err == nil && !read(w, r, &in) {
		return
	}
	var c campaign.Campaign
	if err == nil {
		c, err = cs.Update(r.Context(), p.Tenant, p.UserID, id, in)
	}
	if err != nil {
		a.fail(w, r, "change the campaign", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

type controlInput struct {
	Action string `json:"action"` // start, pause, resume, stop
}

func (a *API) campaignControl(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	var in controlInput
	if err == nil && !read(w, r, &in) {
		return
	}
	var c campaign.Campaign
	if err == nil {
		c, err = cs.Control(r.Context(), p.Tenant, p.UserID, id, in.Action)
	}
	if err != nil {
		a.fail(w, r, in.Action+" the campaign", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (a *API) campaignProgress(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	var pr campaign.Progress
	if err == nil {
		pr, err = cs.Progress(r.Context(), p.Tenant, id)
	}
	if err != nil {
		a.fail(w, r, "read the campaign's progress", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, pr)
}

func (a *API) campaignTargets(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	bad := oa.FieldErrors{}
	pg := paging(r, bad)
	if err == nil && len(bad) > 0 {
		err = bad
	}
	var items []campaign.Target
	var total int
	if err == nil {
		items, total, err = cs.Targets(r.Context(), p.Tenant, id, r.URL.Query().Get("state"), pg.Limit, pg.Offset)
	}
	if err != nil {
		a.fail(w, r, "list the campaign's numbers", err)
		return
	}
	list(w, items, total)
}

func (a *API) campaignTargetsAdd(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	var rows []campaign.NewTarget
	if err == nil && !read(w, r, &rows) {
		return
	}
	var rep campaign.Report
	if err == nil {
		rep, err = cs.AddTargets(r.Context(), p.Tenant, p.UserID, id, rows)
	}
	if err != nil {
		a.fail(w, r, "add numbers to the campaign", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
}

// xlsxType is an Excel workbook's media type.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// campaignImport takes a list file as the request body: text/csv, or an
// Excel workbook (its media type, or the .xlsx file's ZIP signature).
func (a *API) campaignImport(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	if err != nil {
		a.fail(w, r, "import the list", err)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.WriteError(w, http.StatusRequestEntityTooLarge, "the file is larger than 32 MiB")
			return
		}
		a.fail(w, r, "import the list", err)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	xlsx := mt == xlsxType || strings.HasPrefix(string(body), "PK\x03\x04")
	rep, err := cs.Import(r.Context(), p.Tenant, p.UserID, id, strings.NewReader(string(body)), xlsx)
	if err != nil {
		a.fail(w, r, "import the list", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
}

func (a *API) campaignAttempts(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, _, err := campaignIDs(r, "")
	bad := oa.FieldErrors{}
	target := queryInt(r, "target", bad)
	if err == nil && len(bad) > 0 {
		err = bad
	}
	var items []campaign.Attempt
	if err == nil {
		items, err = cs.Attempts(r.Context(), p.Tenant, id, target)
	}
	if err != nil {
		a.fail(w, r, "list the campaign's attempts", err)
		return
	}
	list(w, items, len(items))
}

func (a *API) campaignDisposition(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, aid, err := campaignIDs(r, "aid")
	var in campaign.DispositionInput
	if err == nil && !read(w, r, &in) {
		return
	}
	var at campaign.Attempt
	if err == nil {
		at, err = cs.SetDisposition(r.Context(), p.Tenant, p.UserID, id, aid, in)
	}
	if err != nil {
		a.fail(w, r, "record the disposition", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, at)
}

// myAgent is the caller's agent id from their OA profile.
func (a *API) myAgent(r *http.Request) (string, string, error) {
	p, _ := auth.PrincipalFrom(r.Context())
	st, err := a.d.OA.StaffOf(r.Context(), p.Tenant, p.UserID)
	if err != nil {
		return "", "", err
	}
	if st.Agent == "" {
		return "", "", oa.FieldErrors{"agent": "your OA profile names no agent (phone) to dial from"}
	}
	return p.Tenant, st.Agent, nil
}

func (a *API) campaignNext(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	id, _, err := campaignIDs(r, "")
	var tenant, agent string
	if err == nil {
		tenant, agent, err = a.myAgent(r)
	}
	var card campaign.Card
	if err == nil {
		card, err = cs.Next(r.Context(), tenant, id, agent)
	}
	if err != nil {
		a.fail(w, r, "take the next number", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, card)
}

func (a *API) campaignDial(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	id, tid, err := campaignIDs(r, "tid")
	var tenant, agent string
	if err == nil {
		tenant, agent, err = a.myAgent(r)
	}
	var at campaign.Attempt
	if err == nil {
		at, err = cs.DialCard(r.Context(), tenant, id, tid, agent)
	}
	if errors.Is(err, errs.ErrUnavailable) {
		a.d.Log.Warn("preview call not placed", "campaign", id, "target", tid, "agent", agent, "err", err)
		httpx.WriteError(w, http.StatusBadGateway, "the PBX did not place the call: "+err.Error())
		return
	}
	if err != nil {
		a.fail(w, r, "dial the number", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, at)
}

func (a *API) campaignSkip(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	id, tid, err := campaignIDs(r, "tid")
	var tenant, agent string
	if err == nil {
		tenant, agent, err = a.myAgent(r)
	}
	if err == nil {
		err = cs.Skip(r.Context(), tenant, id, tid, agent)
	}
	if err != nil {
		a.fail(w, r, "skip the number", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) campaignVisit(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	tenant, me, err := a.who(r)
	id, tid, err2 := campaignIDs(r, "tid")
	if err == nil {
		err = err2
	}
	var in campaign.VisitInput
	if err == nil && !read(w, r, &in) {
		return
	}
	var t oa.Ticket
	if err == nil {
		t, err = cs.RecordVisit(r.Context(), tenant, me, id, tid, in)
	}
	if err != nil {
		a.fail(w, r, "record the 回访", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

type dncInput struct {
	Phone  string `json:"phone"`
	Reason string `json:"reason,omitempty"`
}

func (a *API) dncList(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	bad := oa.FieldErrors{}
	pg := paging(r, bad)
	if len(bad) > 0 {
		a.fail(w, r, "list the do-not-call list", bad)
		return
	}
	items, total, err := cs.DNC(r.Context(), p.Tenant, pg.Limit, pg.Offset)
	if err != nil {
		a.fail(w, r, "list the do-not-call list", err)
		return
	}
	list(w, items, total)
}

func (a *API) dncAdd(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	var in dncInput
	if !read(w, r, &in) {
		return
	}
	e, err := cs.AddDNC(r.Context(), p.Tenant, p.UserID, in.Phone, in.Reason)
	if err != nil {
		a.fail(w, r, "add to the do-not-call list", err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, e)
}

func (a *API) dncRemove(w http.ResponseWriter, r *http.Request) {
	cs := a.campaigns(w)
	if cs == nil {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	var in dncInput
	if !read(w, r, &in) {
		return
	}
	if err := cs.RemoveDNC(r.Context(), p.Tenant, p.UserID, in.Phone); err != nil {
		a.fail(w, r, "remove from the do-not-call list", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
