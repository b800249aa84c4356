package pbxapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/pbx"
	"github.com/yimen/yimen/pbx/pbxstore"
)

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
	// Trunk and RawCaller: absent unless the call went through a carrier
	// (raw_caller is the caller's number as the carrier sent it).
	Trunk     string `json:"trunk,omitempty"`
	RawCaller string `json:"raw_caller,omitempty"`
	// Survey: absent when none was asked; answered false (score null) when the caller gave none.
	Survey *surveyJSON `json:"survey,omitempty"`
	// Queue: absent unless the call went through an ACD queue.
	Queue *queueJSON `json:"queue,omitempty"`
}

type surveyJSON struct {
	Answered bool `json:"answered"`
	Score    *int `json:"score"`
}

type queueJSON struct {
	Name    string `json:"name"`
	Agent   string `json:"agent,omitempty"`
	Outcome string `json:"outcome"`
	WaitMS  int64  `json:"wait_ms"`
	// ACWMS is null while the agent is still in after-call work.
	ACWMS *int64 `json:"acw_ms"`
}

func queueJSONOf(q pbx.QueueSummary) *queueJSON {
	j := &queueJSON{Name: q.Queue, Agent: q.Agent, Outcome: q.Outcome, WaitMS: q.Wait.Milliseconds()}
	if q.ACWKnown && q.Agent != "" {
		ms := q.ACW.Milliseconds()
		j.ACWMS = &ms
	}
	return j
}

// cdrList lists call records: tenant (required unless the caller's own),
// number, agent, queue, from, to (RFC 3339), limit (1..1000).
func (a *API) cdrList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := pbxstore.CDRFilter{Tenant: a.tenancy.TenantFilter(r), Number: q.Get("number")}
	if f.Tenant == "" {
		httpx.WriteError(w, 400, "tenant is required")
		return
	}
	// A queue- or agent-scoped caller sees only that queue's or agent's calls:
	// an agent's are those of the agent's extension; a queue's (below) are
	// those the ACD's log ended in it.
	if ag := q.Get("agent"); ag != "" {
		ext := a.pbx.AgentExtension(f.Tenant, ag)
		if ext == "" || (f.Number != "" && f.Number != ext) {
			httpx.WriteJSON(w, 200, []cdrJSON{})
			return
		}
		f.Number = ext
	}
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				httpx.WriteError(w, 400, key+" must be RFC 3339")
				return
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			httpx.WriteError(w, 400, "limit must be 1..1000")
			return
		}
		f.Limit = n
	}
	recs := a.pbx.QueueRecords()
	if qn := q.Get("queue"); qn != "" {
		if recs == nil {
			httpx.WriteJSON(w, 200, []cdrJSON{})
			return
		}
		// A call's queue record comes after its start, so "from" bounds
		// both; the end of the call's queueing may fall after "to".
		ids, err := recs.QueueCalls(r.Context(), f.Tenant, qn, f.From, time.Time{}, 1000)
		if err != nil {
			httpx.Fail(w, r, a.log, "cannot list CDRs", err)
			return
		}
		if len(ids) == 0 {
			httpx.WriteJSON(w, 200, []cdrJSON{})
			return
		}
		f.IDs = ids
	}
	list, err := a.cdrs.CDRs(r.Context(), f)
	if err != nil {
		httpx.Fail(w, r, a.log, "cannot list CDRs", err)
		return
	}
	var sums map[string]pbx.QueueSummary
	if recs != nil && len(list) > 0 {
		ids := make([]string, len(list))
		for i, c := range list {
			ids[i] = c.ID
		}
		if sums, err = recs.Summaries(r.Context(), f.Tenant, ids); err != nil {
			httpx.Fail(w, r, a.log, "cannot list CDRs", err)
			return
		}
	}
	out := make([]cdrJSON, 0, len(list))
	for _, c := range list {
		j := cdrJSON{ID: c.ID, Tenant: c.Tenant, Caller: c.Caller, Callee: c.Callee, Start: c.Start.UTC().Format(time.RFC3339Nano),
			End: c.End.UTC().Format(time.RFC3339Nano), RingMS: c.Ring.Milliseconds(), TalkMS: c.Talk.Milliseconds(), HoldMS: c.Hold.Milliseconds(),
			Disposition: c.Disposition, HangupSide: c.HangupSide, HangupCause: c.HangupCause, SIPCode: c.SIPCode,
			ACallID: c.ACallID, BCallID: c.BCallID, A: c.A, B: c.B, Dropped: c.DroppedForeign, Trunk: c.Trunk, RawCaller: c.RawCaller}
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
	httpx.WriteJSON(w, 200, out)
}
