package oaapi

import (
	"context"
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
)

// Dialer places a call through the PBX's CTI: it rings agent's phone, then
// to, presenting callerID ("" for the trunk's own); oaboot gives the
// tenant's ctilink.
type Dialer interface {
	Dial(ctx context.Context, tenant, agent, to, callerID string) (string, error)
}

// visitCall is 回访 as click-to-dial: the PBX rings the caller's own phone
// (their agent id in the OA profile), then the ticket's customer's first
// number, which the agent never sees. The call is noted on the ticket; the
// satisfaction result is then the visit transition.
func (a *API) visitCall(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	id, err2 := pathID(r, "id")
	if err == nil {
		err = err2
	}
	var t oa.Ticket
	var st oa.Staff
	var c oa.Customer
	if err == nil {
		t, err = a.d.OA.Ticket(r.Context(), tenant, id)
	}
	if err == nil {
		st, err = a.d.OA.StaffOf(r.Context(), tenant, me.UserID)
	}
	if err == nil {
		bad := oa.FieldErrors{}
		if t.State != oa.StateResolved {
			bad["state"] = "回访 follows 办结: the ticket is " + t.State
		}
		if t.CustomerID == 0 {
			bad["customer_id"] = "the ticket has no customer to call"
		}
		if st.Agent == "" {
			bad["agent"] = "your OA profile names no agent (phone) to ring first"
		}
		if len(bad) > 0 {
			err = bad
		}
	}
	if err == nil {
		c, err = a.d.OA.Customer(r.Context(), tenant, t.CustomerID, true)
	}
	if err == nil && len(c.Phones) == 0 {
		err = oa.FieldErrors{"customer_id": "the customer has no number"}
	}
	if err != nil {
		a.fail(w, r, "place the return-visit call", err)
		return
	}
	if a.d.Dialer == nil {
		httpx.WriteError(w, http.StatusServiceUnavailable, "no CTI link to the PBX")
		return
	}
	call, err := a.d.Dialer.Dial(r.Context(), tenant, st.Agent, c.Phones[0].Number, "")
	if err != nil {
		a.d.Log.Warn("return-visit call failed", "ticket", id, "agent", st.Agent, "err", err)
		httpx.WriteError(w, http.StatusBadGateway, "the PBX did not place the call: "+err.Error())
		return
	}
	if _, err := a.d.OA.Transition(r.Context(), tenant, me, id, oa.TransitionInput{Action: oa.ActComment, Comment: "回访电话 " + call + " 至 " + c.Phones[0].Masked}); err != nil {
		a.fail(w, r, "note the return-visit call", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"call": call})
}
