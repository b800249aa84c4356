package oaapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
)

func (a *API) customerList(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.who(r)
	if err != nil {
		a.fail(w, r, "list customers", err)
		return
	}
	bad := oa.FieldErrors{}
	q := r.URL.Query()
	cq := oa.CustomerQuery{Name: q.Get("name"), Phone: q.Get("phone"), IDNo: q.Get("id_no"), Type: q.Get("type"), Tag: q.Get("tag"), Paging: paging(r, bad)}
	if v := q.Get("vip"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad["vip"] = "true or false"
		}
		cq.VIP = &b
	}
	if len(bad) > 0 {
		a.fail(w, r, "list customers", bad)
		return
	}
	items, total, err := a.d.OA.FindCustomers(r.Context(), tenant, cq)
	if err != nil {
		a.fail(w, r, "list customers", err)
		return
	}
	list(w, items, total)
}

func (a *API) customerCreate(w http.ResponseWriter, r *http.Request) {
	var in oa.CustomerInput
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var c oa.Customer
		if c, err = a.d.OA.CreateCustomer(r.Context(), tenant, me.UserID, in); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, a.shown(r, c))
			return
		}
	}
	a.fail(w, r, "create the customer", err)
}

// shown masks what the caller may not see in full.
func (a *API) shown(r *http.Request, c oa.Customer) oa.Customer {
	if a.pii(r) {
		return c
	}
	c.IDNo = ""
	for i := range c.Phones {
		c.Phones[i].Number = ""
	}
	return c
}

func (a *API) customerGet(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.who(r)
	id, err2 := pathID(r, "id")
	if err == nil {
		err = err2
	}
	if err != nil {
		a.fail(w, r, "read the customer", err)
		return
	}
	c, err := a.d.OA.Customer(r.Context(), tenant, id, a.pii(r))
	if err != nil {
		a.fail(w, r, "read the customer", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (a *API) customerUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "update the customer", err)
		return
	}
	var in oa.CustomerInput
	if !read(w, r, &in) {
		return
	}
	tenant, _, err := a.who(r)
	if err == nil {
		var c oa.Customer
		if c, err = a.d.OA.UpdateCustomer(r.Context(), tenant, id, in); err == nil {
			httpx.WriteJSON(w, http.StatusOK, a.shown(r, c))
			return
		}
	}
	a.fail(w, r, "update the customer", err)
}

func (a *API) customerMerge(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "merge customers", err)
		return
	}
	var in struct {
		Duplicate int64 `json:"duplicate"`
	}
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var c oa.Customer
		if c, err = a.d.OA.MergeCustomers(r.Context(), tenant, me.UserID, id, in.Duplicate); err == nil {
			httpx.WriteJSON(w, http.StatusOK, c)
			return
		}
	}
	a.fail(w, r, "merge customers", err)
}

func (a *API) followupList(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.who(r)
	id, err2 := pathID(r, "id")
	if err == nil {
		err = err2
	}
	if err == nil {
		var items []oa.Followup
		if items, err = a.d.OA.Followups(r.Context(), tenant, id); err == nil {
			list(w, items, len(items))
			return
		}
	}
	a.fail(w, r, "list follow-ups", err)
}

func (a *API) followupCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "add a follow-up", err)
		return
	}
	var in struct {
		Note  string `json:"note"`
		DueAt int64  `json:"due_at"`
	}
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var f oa.Followup
		if f, err = a.d.OA.AddFollowup(r.Context(), tenant, me.UserID, id, in.Note, in.DueAt); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, f)
			return
		}
	}
	a.fail(w, r, "add a follow-up", err)
}

func (a *API) customerTypeList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	items, err := a.d.OA.CustomerTypes(r.Context(), p.Tenant)
	if err != nil {
		a.fail(w, r, "list customer types", err)
		return
	}
	list(w, items, len(items))
}

func (a *API) customerTypePut(w http.ResponseWriter, r *http.Request) {
	var in oa.CustomerType
	if !read(w, r, &in) {
		return
	}
	in.Code = r.PathValue("code")
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.d.OA.PutCustomerType(r.Context(), p.Tenant, in); err != nil {
		a.fail(w, r, "save the customer type", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, in)
}

// cardGet builds the screen-pop card for a number, as the bar would get it
// (a UI re-reading it, or an agent looking a caller up by hand).
func (a *API) cardGet(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	if err != nil {
		a.fail(w, r, "build the card", err)
		return
	}
	q := r.URL.Query()
	if q.Get("caller") == "" {
		a.fail(w, r, "build the card", oa.FieldErrors{"caller": "required"})
		return
	}
	c, err := a.d.OA.BuildCard(r.Context(), tenant, protocol.CallRinging{Call: q.Get("call"), Agent: me.UserID, Caller: q.Get("caller")}, time.Now())
	if err != nil {
		a.fail(w, r, "build the card", err)
		return
	}
	if !a.pii(r) {
		delete(c.Prefill, "phone")
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}
