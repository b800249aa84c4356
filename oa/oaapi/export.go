package oaapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
)

// maxExportRows is what one sheet holds (Excel's limit, less the header).
const maxExportRows = 1_048_575

var stateNames = map[string]string{oa.StateAccepted: "受理", oa.StateDispatched: "派单", oa.StateSigned: "签收", oa.StateHandling: "办理",
	oa.StateResolved: "办结", oa.StateVisited: "回访", oa.StateArchived: "归档", oa.StateReturned: "退单"}

// ticketExport streams the tickets a search matches as an Excel workbook.
// Rows go through excelize's stream writer (bounded memory whatever the
// count); X-Total-Count says up front how many rows follow, so a page can
// show the download's progress.
func (a *API) ticketExport(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	var tq oa.TicketQuery
	if err == nil {
		tq, err = ticketQuery(r)
	}
	var total int
	if err == nil {
		total, err = a.d.OA.CountTickets(r.Context(), tenant, me, tq)
	}
	if err == nil && total > maxExportRows {
		err = oa.FieldErrors{"query": fmt.Sprintf("%d tickets match; one workbook holds %d: narrow the search", total, maxExportRows)}
	}
	if err != nil {
		a.fail(w, r, "export tickets", err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		a.fail(w, r, "export tickets", err)
		return
	}
	header := []any{"编号", "标题", "分类", "优先级", "状态", "客户", "来电", "网点编号", "设备", "故障", "部门", "处理人", "SLA", "截止", "创建", "办结"}
	if err := sw.SetRow("A1", header); err != nil {
		a.fail(w, r, "export tickets", err)
		return
	}
	stamp := func(v int64) any {
		if v == 0 {
			return ""
		}
		return time.UnixMilli(v).Format("2006-01-02 15:04")
	}
	n := 1
	err = a.d.OA.EachTicket(r.Context(), tenant, me, tq, func(t oa.Ticket) error {
		n++
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, []any{t.ID, t.Title, t.CategoryID, t.Priority, stateNames[t.State], t.CustomerID, t.Caller, t.OutletNo, t.Device, t.Fault,
			t.DepartmentID, t.Assignee, t.SLA.State, stamp(t.SLA.DueAt), stamp(t.CreatedAt), stamp(t.ClosedAt)})
	})
	if err == nil {
		err = sw.Flush()
	}
	if err != nil {
		a.fail(w, r, "export tickets", err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="tickets.xlsx"`)
	w.Header().Set("X-Total-Count", strconv.Itoa(n-1))
	if err := f.Write(w); err != nil {
		a.d.Log.Warn("export cut short", "rows", n-1, "err", err)
	}
}

func (a *API) savedQueryList(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	if err == nil {
		var items []oa.SavedQuery
		if items, err = a.d.OA.SavedQueries(r.Context(), tenant, me.UserID); err == nil {
			list(w, items, len(items))
			return
		}
	}
	a.fail(w, r, "list saved queries", err)
}

func (a *API) savedQuerySave(w http.ResponseWriter, r *http.Request) {
	var in oa.SavedQuery
	if !read(w, r, &in) {
		return
	}
	tenant, me, err := a.who(r)
	if err == nil {
		if in, err = a.d.OA.SaveQuery(r.Context(), tenant, me.UserID, in); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, in)
			return
		}
	}
	a.fail(w, r, "save the query", err)
}

func (a *API) savedQueryDelete(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	id, err2 := pathID(r, "id")
	if err == nil {
		err = err2
	}
	if err == nil {
		err = a.d.OA.DeleteQuery(r.Context(), tenant, me.UserID, id)
	}
	if err != nil {
		a.fail(w, r, "delete the saved query", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
