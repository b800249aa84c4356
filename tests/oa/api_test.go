package oa_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/yimen/yimen/oa"
)

type errorReply struct {
	Error  string
	Fields map[string]string
}

// A ticket's life through the API, by the demo's people in their roles:
// each refusal is the right status with the field named, nothing refused
// is half-written, and the administrators' and handlers' changes are in the
// audit chain.
func TestTicketsThroughTheAPI(t *testing.T) {
	o := startOA(t, nil)
	agent, handler, sup := o.login(t, "agent1001"), o.login(t, "handler1"), o.login(t, "supervisor1")
	sys, auditor := o.login(t, "sysadmin"), o.login(t, "auditor")

	// Separation of duties: the system administrator configures, reads no customer.
	var dep oa.Department
	if code := o.do(t, "POST", "/api/v1/departments", sys, map[string]any{"name": "稽查组"}, &dep); code != 201 {
		t.Fatalf("sysadmin creates a department: %d", code)
	}
	if code := o.do(t, "GET", "/api/v1/customers", sys, nil, nil); code != 403 {
		t.Errorf("sysadmin reads customers: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/departments", agent, map[string]any{"name": "x"}, nil); code != 403 {
		t.Errorf("an agent creates a department: %d", code)
	}
	var bad errorReply
	if code := o.do(t, "POST", "/api/v1/categories", sys, map[string]any{"name": "", "sla": map[string]any{"handle": "2 days"}}, &bad); code != 400 ||
		bad.Fields["name"] == "" || bad.Fields["sla.handle"] == "" {
		t.Errorf("bad category: %d %+v", code, bad)
	}
	if code := o.do(t, "POST", "/api/v1/customers", handler, map[string]any{"name": "x"}, nil); code != 403 {
		t.Errorf("a handler creates a customer: %d", code)
	}

	// Nothing half-written: a customer with one bad number is not created at all.
	bad = errorReply{}
	if code := o.do(t, "POST", "/api/v1/customers", agent, map[string]any{"name": "孙八", "phones": []map[string]string{{"number": "13800138000"}, {"number": "anonymous"}}}, &bad); code != 400 ||
		bad.Fields["phones[1].number"] == "" {
		t.Errorf("bad number: %d %+v", code, bad)
	}
	var page struct{ Total int }
	o.do(t, "GET", "/api/v1/customers?phone=13800138000", agent, nil, &page)
	if page.Total != 0 {
		t.Errorf("a refused customer was stored: %d", page.Total)
	}
	if code := o.do(t, "POST", "/api/v1/customers", agent, map[string]any{"name": "孙八", "bogus": 1}, nil); code != 400 {
		t.Errorf("unknown field: %d", code)
	}
	var cust oa.Customer
	o.do(t, "POST", "/api/v1/customers", agent, map[string]any{"name": "孙八", "phones": []map[string]string{{"number": "13800138000"}}}, &cust)

	repair := o.department(t, agent, "维修部")
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", agent, nil, &cats)
	bad = errorReply{}
	if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"priority": "whenever"}, &bad); code != 400 ||
		bad.Fields["title"] == "" || bad.Fields["category_id"] == "" || bad.Fields["priority"] == "" {
		t.Errorf("bad ticket: %d %+v", code, bad)
	}
	var tk oa.Ticket
	if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"title": "投注机黑屏", "category_id": cats.Items[0].ID, "customer_id": cust.ID,
		"outlet_no": "11010002", "device": "T-200", "fault": "黑屏"}, &tk); code != 201 {
		t.Fatalf("create ticket: %d", code)
	}
	step := func(who, action string, body map[string]any, want int) oa.Ticket {
		t.Helper()
		if body == nil {
			body = map[string]any{}
		}
		body["action"] = action
		var out oa.Ticket
		var raw json.RawMessage
		code := o.do(t, "POST", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10)+"/transitions", who, body, &raw)
		if code != want {
			t.Fatalf("%s: %d %s, want %d", action, code, raw, want)
		}
		_ = json.Unmarshal(raw, &out)
		return out
	}
	step(agent, "dispatch", map[string]any{"department_id": repair}, 200)
	var counts oa.MyCounts
	o.do(t, "GET", "/api/v1/my/counts", handler, nil, &counts)
	if counts.Department != 1 {
		t.Errorf("handler's department count %+v", counts)
	}
	step(agent, "sign", nil, 403) // not the agent's department
	step(handler, "sign", nil, 200)
	step(handler, "resolve", nil, 400)
	step(handler, "resolve", map[string]any{"comment": "更换主板"}, 200)
	step(agent, "visit", map[string]any{"satisfaction": 5, "comment": "满意"}, 200)
	step(handler, "archive", nil, 403)
	got := step(sup, "archive", nil, 200)
	if got.State != oa.StateArchived || got.Open {
		t.Errorf("archived: %+v", got)
	}
	step(agent, "dispatch", map[string]any{"department_id": repair}, 409)

	// Attachments: an image is taken, an executable is not.
	upload := func(name string, data []byte) int {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", o.url("/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10)+"/attachments"), &b)
		req.Header.Set("Authorization", "Bearer "+handler)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := upload("photo.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)); code != 201 {
		t.Errorf("png: %d", code)
	}
	if code := upload("tool.png", []byte("MZ\x90\x00\x03 a PE file")); code != 400 {
		t.Errorf("exe named png: %d", code)
	}
	var detail struct {
		Events      []oa.TicketEvent
		Attachments []oa.Attachment
	}
	o.do(t, "GET", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10), agent, nil, &detail)
	if len(detail.Events) != 7 || len(detail.Attachments) != 1 { // create dispatch sign resolve visit archive attach
		t.Errorf("timeline %d events, %d attachments", len(detail.Events), len(detail.Attachments))
	}

	// The audit chain has the administrator's and the handlers' changes.
	var rows []struct{ Action, Actor, Outcome string }
	o.do(t, "GET", "/api/v1/audit?limit=500", auditor, nil, &rows)
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Action+"/"+r.Outcome] = true
	}
	for _, want := range []string{"oa.department.create/ok", "oa.customer.create/ok", "oa.ticket.create/ok", "oa.ticket.transition/ok",
		"oa.ticket.transition/denied", "oa.attachment.add/ok", "oa.customer.search/denied"} {
		if !seen[want] {
			t.Errorf("no %s in the audit log", want)
		}
	}
	// Customers' numbers are masked for the agent and shown to the supervisor.
	var c oa.Customer
	o.do(t, "GET", "/api/v1/customers/"+strconv.FormatInt(cust.ID, 10), agent, nil, &c)
	if c.Phones[0].Number != "" || c.Phones[0].Masked != "138****8000" {
		t.Errorf("agent sees %+v", c.Phones)
	}
	o.do(t, "GET", "/api/v1/customers/"+strconv.FormatInt(cust.ID, 10), sup, nil, &c)
	if c.Phones[0].Number != "13800138000" {
		t.Errorf("supervisor sees %+v", c.Phones)
	}
	// Excel export, the supervisor's: the workbook holds the matching tickets.
	req, _ := http.NewRequest("GET", o.url("/api/v1/export/tickets.xlsx?state=archived"), nil)
	req.Header.Set("Authorization", "Bearer "+sup)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Total-Count") != "1" {
		t.Fatalf("export: %d %s", res.StatusCode, res.Header)
	}
	book, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sheet, _ := book.GetRows("Sheet1")
	if len(sheet) != 2 || sheet[1][1] != "投注机黑屏" || sheet[1][4] != "归档" || sheet[1][7] != "11010002" {
		t.Errorf("workbook %v", sheet)
	}
	if code := o.do(t, "GET", "/api/v1/export/tickets.xlsx", agent, nil, nil); code != 403 {
		t.Errorf("an agent exports: %d", code)
	}
	// Saved queries are the caller's own.
	var sq oa.SavedQuery
	if code := o.do(t, "POST", "/api/v1/saved-queries", agent, map[string]string{"name": "我的在办", "target": "tickets", "query": "view=mine&open=true"}, &sq); code != 201 {
		t.Fatalf("save query: %d", code)
	}
	var mine, theirs struct{ Items []oa.SavedQuery }
	o.do(t, "GET", "/api/v1/saved-queries", agent, nil, &mine)
	o.do(t, "GET", "/api/v1/saved-queries", handler, nil, &theirs)
	if len(mine.Items) != 1 || len(theirs.Items) != 0 {
		t.Errorf("saved queries: mine %v, the handler's %v", mine, theirs)
	}
	if code := o.do(t, "DELETE", "/api/v1/saved-queries/"+strconv.FormatInt(sq.ID, 10), handler, nil, nil); code != 404 {
		t.Errorf("the handler deletes the agent's query: %d", code)
	}

	// 密码修改 under the password rules.
	var e errorReply
	if code := o.do(t, "POST", "/api/v1/password", agent, map[string]string{"old_password": o.Passwords["agent1001"], "new_password": "short"}, &e); code != 400 {
		t.Errorf("weak new password: %d %+v", code, e)
	}
	if code := o.do(t, "POST", "/api/v1/password", agent, map[string]string{"old_password": o.Passwords["agent1001"], "new_password": "Xk9-" + strings.Repeat("q7", 6)}, nil); code != 204 {
		t.Errorf("password change: %d", code)
	}
}

// A supervisor merges a duplicate ticket over the API; an agent may not.
// The duplicate is archived and points at the ticket kept, which lists it
// as related; the audit chain has the merge.
func TestMergeDuplicateTicketThroughTheAPI(t *testing.T) {
	o := startOA(t, nil)
	agent, sup, auditor := o.login(t, "agent1001"), o.login(t, "supervisor1"), o.login(t, "auditor")
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", agent, nil, &cats)
	var keep, dup oa.Ticket
	for _, tk := range []*oa.Ticket{&keep, &dup} {
		if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"title": "投注机黑屏", "category_id": cats.Items[0].ID, "outlet_no": "11010002"}, tk); code != 201 {
			t.Fatalf("create ticket: %d", code)
		}
	}
	merge := "/api/v1/tickets/" + strconv.FormatInt(dup.ID, 10) + "/merge"
	if code := o.do(t, "POST", merge, agent, map[string]any{"into": keep.ID}, nil); code != 403 {
		t.Errorf("an agent merges: %d", code)
	}
	var bad errorReply
	if code := o.do(t, "POST", merge, sup, map[string]any{"into": dup.ID}, &bad); code != 400 || bad.Fields["into"] == "" {
		t.Errorf("merged into itself: %d %+v", code, bad)
	}
	if code := o.do(t, "POST", merge, sup, map[string]any{"into": keep.ID, "comment": "重复来电"}, nil); code != 200 {
		t.Fatalf("supervisor merges: %d", code)
	}
	if code := o.do(t, "POST", merge, sup, map[string]any{"into": keep.ID}, nil); code != 409 {
		t.Errorf("merged twice: %d", code)
	}
	var d oa.Ticket
	o.do(t, "GET", "/api/v1/tickets/"+strconv.FormatInt(dup.ID, 10), agent, nil, &d)
	if d.MergedInto != keep.ID || d.Open || d.State != oa.StateArchived {
		t.Errorf("duplicate: %+v", d)
	}
	var k struct{ Related []int64 }
	o.do(t, "GET", "/api/v1/tickets/"+strconv.FormatInt(keep.ID, 10), agent, nil, &k)
	if len(k.Related) != 1 || k.Related[0] != dup.ID {
		t.Errorf("kept ticket related %v", k.Related)
	}
	var rows []struct{ Action, Outcome string }
	o.do(t, "GET", "/api/v1/audit?limit=500", auditor, nil, &rows)
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Action+"/"+r.Outcome] = true
	}
	if !seen["oa.ticket.merge/ok"] || !seen["oa.ticket.merge/denied"] {
		t.Errorf("audit: merge ok %v, denied %v", seen["oa.ticket.merge/ok"], seen["oa.ticket.merge/denied"])
	}
}
