package oaapi

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
)

// ticketQuery reads a ticket search from the query string.
func ticketQuery(r *http.Request) (oa.TicketQuery, error) {
	bad := oa.FieldErrors{}
	q := r.URL.Query()
	tq := oa.TicketQuery{View: q.Get("view"), State: q.Get("state"), CategoryID: queryInt(r, "category_id", bad), CustomerID: queryInt(r, "customer_id", bad),
		Priority: q.Get("priority"), OutletNo: q.Get("outlet_no"), SLAState: q.Get("sla_state"), Text: q.Get("q"),
		From: queryInt(r, "from", bad), To: queryInt(r, "to", bad), Paging: paging(r, bad)}
	if v := q.Get("open"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad["open"] = "true or false"
		}
		tq.Open = &b
	}
	if len(bad) > 0 {
		return tq, bad
	}
	return tq, nil
}

func (a *API) ticketList(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	var tq oa.TicketQuery
	if err == nil {
		tq, err = ticketQuery(r)
	}
	if err != nil {
		a.fail(w, r, "list tickets", err)
		return
	}
	items, total, err := a.d.OA.FindTickets(r.Context(), tenant, me, tq)
	if err != nil {
		a.fail(w, r, "list tickets", err)
		return
	}
	list(w, items, total)
}

func (a *API) ticketCreate(w http.ResponseWriter, r *http.Request) {
	var in oa.TicketInput
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var t oa.Ticket
		if t, err = a.d.OA.CreateTicket(r.Context(), tenant, me.UserID, in); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, t)
			return
		}
	}
	a.fail(w, r, "create the ticket", err)
}

// ticketDetail is a ticket with its timeline, its attachments and the
// actions the caller may take on it now (its category's state machine and
// the caller's rights).
type ticketDetail struct {
	oa.Ticket
	Events      []oa.TicketEvent `json:"events"`
	Attachments []oa.Attachment  `json:"attachments"`
	Related     []int64          `json:"related"` // linked tickets (and merged ones), by number
	Actions     []string         `json:"actions"`
}

func (a *API) ticketGet(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	id, err2 := pathID(r, "id")
	if err == nil {
		err = err2
	}
	var d ticketDetail
	if err == nil {
		d.Ticket, err = a.d.OA.Ticket(r.Context(), tenant, id)
	}
	if err == nil {
		d.Events, err = a.d.OA.TicketEvents(r.Context(), tenant, id)
	}
	if err == nil {
		d.Attachments, err = a.d.OA.Attachments(r.Context(), tenant, id)
	}
	if err == nil {
		d.Related, err = a.d.OA.Related(r.Context(), tenant, id)
	}
	var cat oa.Category
	if err == nil {
		cat, err = a.d.OA.Category(r.Context(), tenant, d.CategoryID)
	}
	d.Actions = oa.Allowed(d.Ticket, cat.Workflow, me)
	if err != nil {
		a.fail(w, r, "read the ticket", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, d)
}

func (a *API) ticketTransition(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "change the ticket", err)
		return
	}
	var in oa.TransitionInput
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var t oa.Ticket
		if t, err = a.d.OA.Transition(r.Context(), tenant, me, id, in); err == nil {
			httpx.WriteJSON(w, http.StatusOK, t)
			return
		}
	}
	a.fail(w, r, "change the ticket", err)
}

func (a *API) ticketWatch(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant, me, err := a.who(r)
		id, err2 := pathID(r, "id")
		if err == nil {
			err = err2
		}
		if err == nil {
			err = a.d.OA.Watch(r.Context(), tenant, me, id, on)
		}
		if err != nil {
			a.fail(w, r, "watch the ticket", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) ticketLink(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "link tickets", err)
		return
	}
	var in struct {
		OtherID int64 `json:"other_id"`
	}
	if !read(w, r, &in) {
		return
	}
	tenant, _, err := a.who(r)
	if err == nil {
		err = a.d.OA.Link(r.Context(), tenant, id, in.OtherID)
	}
	if err != nil {
		a.fail(w, r, "link tickets", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ticketMerge closes the ticket in the path as a duplicate of another.
func (a *API) ticketMerge(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "merge tickets", err)
		return
	}
	var in mergeInput
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var t oa.Ticket
		if t, err = a.d.OA.MergeTicket(r.Context(), tenant, me, id, in.Into, in.Comment); err == nil {
			httpx.WriteJSON(w, http.StatusOK, t)
			return
		}
	}
	a.fail(w, r, "merge tickets", err)
}

type mergeInput struct {
	Into    int64  `json:"into"`    // the ticket to keep
	Comment string `json:"comment"` // why (optional)
}

// attachmentLimit bounds an upload's request (the file and its form).
const attachmentLimit = 11 << 20

func (a *API) attachmentAdd(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "attach the file", err)
		return
	}
	name, data, ok := a.upload(w, r)
	if !ok {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		var at oa.Attachment
		if at, err = a.d.OA.AddAttachment(r.Context(), tenant, me.UserID, id, name, data); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, at)
			return
		}
	}
	a.fail(w, r, "attach the file", err)
}

func (a *API) attachmentGet(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.who(r)
	id, err2 := pathID(r, "id")
	aid, err3 := pathID(r, "aid")
	if err = errors.Join(err, err2, err3); err != nil {
		a.fail(w, r, "read the attachment", err)
		return
	}
	at, data, err := a.d.OA.OpenAttachment(r.Context(), tenant, id, aid)
	if err != nil {
		a.fail(w, r, "read the attachment", err)
		return
	}
	download(w, at.Name, at.MIME, data)
}

// upload reads a multipart upload's field file; a problem is answered.
func (a *API) upload(w http.ResponseWriter, r *http.Request) (string, []byte, bool) {
	f, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.WriteError(w, http.StatusRequestEntityTooLarge, "file too large")
			return "", nil, false
		}
		a.fail(w, r, "attach the file", oa.FieldErrors{"file": "a multipart/form-data field named file"})
		return "", nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		httpx.WriteError(w, http.StatusRequestEntityTooLarge, "file too large")
		return "", nil, false
	}
	return hdr.Filename, data, true
}

// download sends a stored file as an attachment, never to be rendered.
func download(w http.ResponseWriter, name, mime string, data []byte) {
	w.Header().Set("Content-Type", mime)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	_, _ = w.Write(data)
}

func (a *API) myCounts(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	if err == nil {
		var c oa.MyCounts
		if c, err = a.d.OA.CountMine(r.Context(), tenant, me); err == nil {
			httpx.WriteJSON(w, http.StatusOK, c)
			return
		}
	}
	a.fail(w, r, "count tickets", err)
}

func (a *API) notificationList(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	if err == nil {
		var items []oa.Notification
		if items, err = a.d.OA.Notifications(r.Context(), tenant, me.UserID, 50); err == nil {
			list(w, items, len(items))
			return
		}
	}
	a.fail(w, r, "list notifications", err)
}

func (a *API) notificationRead(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		err = a.d.OA.MarkRead(r.Context(), tenant, me.UserID, id)
	}
	if err != nil {
		a.fail(w, r, "mark the notification read", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
