package oa_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/oa"
)

// 回访 as click-to-dial: the OA asks the PBX over the CTI to ring the
// supervisor's phone (agent a1002, extension 1002) and then the customer's
// number (here extension 1001, a SIPp phone); the call is noted on the
// ticket and the PBX writes its CDR.
func TestReturnVisitCallThroughTheCTI(t *testing.T) {
	p := hotlinePBX(t)
	o := startOA(t, p)
	sup := o.login(t, "supervisor1")
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })
	p.Callee(t, "1002", "127.0.43.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500"})
	p.Callee(t, "1001", "127.0.43.1", "uas_answer.xml", false, nil)

	var cust oa.Customer
	o.do(t, "POST", "/api/v1/customers", sup, map[string]any{"name": "周九", "phones": []map[string]string{{"number": "1001"}}}, &cust)
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", sup, nil, &cats)
	var deps struct{ Items []oa.Department }
	o.do(t, "GET", "/api/v1/departments", sup, nil, &deps)
	var tk oa.Ticket
	o.do(t, "POST", "/api/v1/tickets", sup, map[string]any{"title": "回访测试", "category_id": cats.Items[0].ID, "customer_id": cust.ID}, &tk)
	path := "/api/v1/tickets/" + strconv.FormatInt(tk.ID, 10)
	var bad errorReply
	if code := o.do(t, "POST", path+"/visit-call", sup, nil, &bad); code != 400 || bad.Fields["state"] == "" || bad.Fields["agent"] == "" {
		t.Errorf("visit call before 办结, without an agent: %d %+v", code, bad)
	}
	for _, step := range []map[string]any{{"action": "dispatch", "department_id": deps.Items[0].ID}, {"action": "sign"}, {"action": "resolve", "comment": "已处理"}} {
		if code := o.do(t, "POST", path+"/transitions", sup, step, nil); code != 200 {
			t.Fatalf("%v: %d", step, code)
		}
	}
	var me struct {
		UserID string `json:"user_id"`
	}
	o.do(t, "GET", "/api/v1/me", sup, nil, &me)
	if err := o.Service.PutStaff(t.Context(), "demo", oa.Staff{UserID: me.UserID, Name: "supervisor1", Agent: "a1002"}); err != nil {
		t.Fatal(err)
	}
	var placed struct{ Call string }
	if code := o.do(t, "POST", path+"/visit-call", sup, nil, &placed); code != 200 || placed.Call == "" {
		t.Fatalf("visit call: %d %+v", code, placed)
	}
	var detail struct{ Events []oa.TicketEvent }
	o.do(t, "GET", path, sup, nil, &detail)
	if last := detail.Events[len(detail.Events)-1]; last.Action != oa.ActComment || !strings.Contains(last.Comment, placed.Call) {
		t.Errorf("the call is not noted: %+v", last)
	}
	eventually(t, 20*time.Second, "the visit call's CDR", func() bool {
		for _, c := range p.CDRs(t, 1) {
			if c.ID == placed.Call {
				return true
			}
		}
		return false
	})
	if code := o.do(t, "POST", path+"/transitions", sup, map[string]any{"action": "visit", "satisfaction": 4, "comment": "电话回访满意"}, nil); code != 200 {
		t.Errorf("visit: %d", code)
	}
}
