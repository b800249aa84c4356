package oaapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
)

func (a *API) contactList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	bad := oa.FieldErrors{}
	q := r.URL.Query()
	cq := oa.ContactQuery{Customer: queryInt(r, "customer_id", bad), Agent: q.Get("agent"), Queue: q.Get("queue"), Kind: q.Get("kind"),
		Phone: q.Get("phone"), CallID: q.Get("call_id"), From: queryInt(r, "from", bad), To: queryInt(r, "to", bad), Paging: paging(r, bad)}
	if len(bad) > 0 {
		a.fail(w, r, "list contact records", bad)
		return
	}
	items, total, err := a.d.OA.FindContacts(r.Context(), p.Tenant, cq)
	if err != nil {
		a.fail(w, r, "list contact records", err)
		return
	}
	list(w, items, total)
}

func (a *API) contactGet(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	id, err := pathID(r, "id")
	if err == nil {
		var c oa.Contact
		if c, err = a.d.OA.Contact(r.Context(), p.Tenant, id); err == nil {
			httpx.WriteJSON(w, http.StatusOK, c)
			return
		}
	}
	a.fail(w, r, "read the contact record", err)
}

func (a *API) contactUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "update the contact record", err)
		return
	}
	var in oa.ContactUpdate
	if !read(w, r, &in) {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	c, err := a.d.OA.UpdateContact(r.Context(), p.Tenant, id, in)
	if err != nil {
		a.fail(w, r, "update the contact record", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (a *API) dispositionList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	items, err := a.d.OA.DispositionCodes(r.Context(), p.Tenant)
	if err != nil {
		a.fail(w, r, "list disposition codes", err)
		return
	}
	list(w, items, len(items))
}

func (a *API) dispositionPut(w http.ResponseWriter, r *http.Request) {
	var in oa.DispositionCode
	if !read(w, r, &in) {
		return
	}
	in.Code = r.PathValue("code")
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.d.OA.PutDispositionCode(r.Context(), p.Tenant, in); err != nil {
		a.fail(w, r, "save the disposition code", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, in)
}
