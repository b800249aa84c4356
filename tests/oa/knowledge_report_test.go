package oa_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/oa/report"
)

// addSupervisor makes a second supervisor in 热线中心 (a version is
// reviewed by someone other than its editor).
func addSupervisor(t *testing.T, o *oaProc, name string) {
	t.Helper()
	pw := "Yimen-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "!a"
	u, err := o.Security.Auth.CreateUser(t.Context(), auth.NewUser{Tenant: "demo", Name: name, Password: pw})
	if err == nil {
		err = o.Security.RBAC.AssignRole(t.Context(), nil, u.ID, "demo", rbac.RoleSupervisor, rbac.Binding{})
	}
	var deps []*oa.Department
	if err == nil {
		deps, err = o.Service.Departments(t.Context(), "demo")
	}
	if err == nil {
		for _, d := range deps {
			if d.Name == "热线中心" {
				err = o.Service.PutStaff(t.Context(), "demo", oa.Staff{UserID: u.ID, Name: name, DepartmentID: d.ID})
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	o.Passwords[name] = pw
}

func (o *oaProc) raw(t *testing.T, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", o.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// The knowledge base through the API: a base for 热线中心 only, written,
// reviewed by a second supervisor, found by an agent in the caller's
// words, invisible to 维修部.
func TestKnowledgeSearchThroughTheAPI(t *testing.T) {
	o := startOA(t, nil)
	addSupervisor(t, o, "supervisor2")
	sup, sup2 := o.login(t, "supervisor1"), o.login(t, "supervisor2")
	agent, handler := o.login(t, "agent1001"), o.login(t, "handler1")

	var deps struct{ Items []oa.Department }
	o.do(t, "GET", "/api/v1/departments", sup, nil, &deps)
	hotline := int64(0)
	for _, d := range deps.Items {
		if d.Name == "热线中心" {
			hotline = d.ID
		}
	}
	if code := o.do(t, "PUT", "/api/v1/knowledge/synonyms", sup, map[string]any{"groups": [][]string{{"彩票站", "彩票站点", "投注站"}, {"报修", "故障报修"}}}, nil); code != 200 {
		t.Fatalf("synonyms: %d", code)
	}
	var base knowledge.Base
	if code := o.do(t, "POST", "/api/v1/knowledge/bases", sup, map[string]any{"name": "热线知识", "departments": []int64{hotline}}, &base); code != 201 {
		t.Fatalf("base: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/knowledge/articles", agent, map[string]any{"base_id": base.ID, "title": "x"}, nil); code != 403 {
		t.Errorf("an agent writes an article: %d", code)
	}
	var art knowledge.Article
	if code := o.do(t, "POST", "/api/v1/knowledge/articles", sup, map[string]any{"base_id": base.ID, "title": "投注站设备故障报修流程",
		"body_html": `<p>终端故障先重启<script>alert(1)</script>，仍不能出票的登记报修。</p>`}, &art); code != 201 {
		t.Fatalf("article: %d", code)
	}
	o.do(t, "POST", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10)+"/submit", sup, nil, nil)
	if code := o.do(t, "POST", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10)+"/review", sup, map[string]any{"approve": true}, nil); code != 403 {
		t.Errorf("the editor approves their own version: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10)+"/review", sup2, map[string]any{"approve": true}, nil); code != 200 {
		t.Fatalf("review: %d", code)
	}
	var res knowledge.SearchReply
	if code := o.do(t, "GET", "/api/v1/knowledge/search?q="+url.QueryEscape("彩票站点报修"), agent, nil, &res); code != 200 || len(res.Items) != 1 ||
		res.Items[0].ID != art.ID || !strings.Contains(res.Items[0].Title, "<mark>投注站</mark>") {
		t.Fatalf("agent's search: %d %+v", code, res)
	}
	var got struct {
		knowledge.Article
	}
	o.do(t, "GET", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10), agent, nil, &got)
	if strings.Contains(got.BodyHTML, "script") || got.Views != 1 {
		t.Errorf("read by the agent: %+v", got.Article)
	}
	var sg struct{ Items []knowledge.Suggestion }
	o.do(t, "GET", "/api/v1/knowledge/suggest?q="+url.QueryEscape("投注"), agent, nil, &sg)
	if len(sg.Items) == 0 || sg.Items[0].ArticleID != art.ID {
		t.Errorf("suggestions: %+v", sg)
	}
	res = knowledge.SearchReply{}
	if code := o.do(t, "GET", "/api/v1/knowledge/search?q="+url.QueryEscape("报修"), handler, nil, &res); code != 200 || res.Total != 0 || len(res.Items) != 0 {
		t.Errorf("维修部 searches: %d %+v", code, res)
	}
	if code := o.do(t, "GET", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10), handler, nil, nil); code != 404 {
		t.Errorf("维修部 reads the article: %d", code)
	}
	if code := o.do(t, "GET", "/api/v1/knowledge/search?q=", agent, nil, nil); code != 400 {
		t.Errorf("empty query: %d", code)
	}
}

// The report API for another system: an API token whose role holds only
// oa.report.read reads the reports as JSON, CSV and Excel, nothing else,
// and is held to its rate.
func TestReportAPIWithAnAPIToken(t *testing.T) {
	o := startOA(t, nil)
	sys, sec, sup := o.login(t, "sysadmin"), o.login(t, "secadmin"), o.login(t, "supervisor1")
	var tok struct{ Token string }
	if code := o.do(t, "POST", "/api/v1/tenants/demo/tokens", sys, map[string]any{"subject": "svc:bi", "name": "BI"}, &tok); code != 201 {
		t.Fatalf("token: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/roles/report_api/permissions", sec, map[string]any{"permission": rbac.PermOAReportRead, "scope": rbac.ScopeTenant}, nil); code != 204 {
		t.Fatalf("grant: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/users/svc:bi/roles", sec, map[string]any{"role": "report_api"}, nil); code != 204 && code != 201 && code != 200 {
		t.Fatalf("assign: %d", code)
	}
	// Some tickets to count.
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", sup, nil, &cats)
	for i := 0; i < 3; i++ {
		if code := o.do(t, "POST", "/api/v1/tickets", sup, map[string]any{"title": "终端卡纸", "category_id": cats.Items[i%2].ID}, nil); code != 201 {
			t.Fatalf("ticket: %d", code)
		}
	}
	bi := tok.Token
	if code := o.do(t, "GET", "/api/v1/customers", bi, nil, nil); code != 403 {
		t.Errorf("the report token reads customers: %d", code)
	}
	var tb report.Table
	if code := o.do(t, "GET", "/api/v1/reports/tickets?by=category", bi, nil, &tb); code != 200 || len(tb.Rows) != 2 || tb.Formulas["created"] == "" {
		t.Fatalf("tickets JSON: %d %+v", code, tb)
	}
	created := map[string]float64{}
	for _, r := range tb.Rows {
		created[r["key"].(string)] = r["created"].(float64)
	}
	if created[cats.Items[0].Name] != 2 || created[cats.Items[1].Name] != 1 {
		t.Errorf("created by category: %v", created)
	}
	res, body := o.raw(t, "/api/v1/reports/tickets?by=category&format=csv", bi)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || err != nil || len(recs) != 3 || recs[0][1] != "受理量" {
		t.Errorf("csv: %d %v %v", res.StatusCode, err, recs)
	}
	res, body = o.raw(t, "/api/v1/reports/tickets?by=category&format=xlsx", bi)
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if res.StatusCode != 200 || err != nil {
		t.Fatalf("xlsx: %d %v", res.StatusCode, err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != len(tb.Rows)+1 || rows[0][0] != "分类" {
		t.Errorf("xlsx rows %v for %d on screen", rows, len(tb.Rows))
	}
	for i, r := range tb.Rows {
		if rows[i+1][0] != r["key"] || rows[i+1][1] != report.Cell(r["created"]) {
			t.Errorf("xlsx row %d %v, JSON %v", i+1, rows[i+1], r)
		}
	}
	var formulas map[string]any
	o.do(t, "GET", "/api/v1/reports/formulas?abandon_method=ignored", bi, nil, &formulas)
	if tr, _ := formulas["traffic"].(map[string]any); tr == nil || !strings.Contains(tr["service_level"].(string), "放弃不计") || formulas["timezone"] != "Asia/Shanghai" {
		t.Errorf("formulas: %v", formulas)
	}
	if code := o.do(t, "GET", "/api/v1/reports/traffic?sl_seconds=7", bi, nil, nil); code != 400 {
		t.Errorf("a threshold not counted by: %d", code)
	}
	// The default rate: bursts of 20, then 2 a second.
	limited := 0
	for i := 0; i < 30; i++ {
		res, _ := o.raw(t, "/api/v1/reports/formulas", bi)
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Error("30 requests at once were never limited")
	}
	// Another caller has its own bucket.
	if code := o.do(t, "GET", "/api/v1/reports/formulas", sup, nil, nil); code != 200 {
		t.Errorf("the supervisor after the token's burst: %d", code)
	}
}

// Calls through the real PBX reach the statistics over the CTI; calls
// made while the OA was down and the PBX restarted (their events gone
// with the old hub) are filled from the PBX's CDR API, after which the
// call details and the queue's figures say what the CDRs say.
func TestReportsFollowCallsAndReconcileARestart(t *testing.T) {
	p := hotlinePBX(t)
	o := startOA(t, p)
	sys, sup := o.login(t, "sysadmin"), o.login(t, "supervisor1")
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })
	from := time.Now().Add(-time.Minute).UTC()
	window := func() string {
		return "from=" + from.Format(time.RFC3339) + "&to=" + url.QueryEscape(time.Now().Add(time.Minute).UTC().Format(time.RFC3339))
	}
	traffic := func() map[string]any {
		var tb report.Table
		if code := o.do(t, "GET", "/api/v1/reports/traffic?by=queue&queue=support&"+window(), sup, nil, &tb); code != 200 {
			t.Fatalf("traffic report: %d", code)
		}
		if len(tb.Rows) == 0 {
			return map[string]any{}
		}
		return tb.Rows[0]
	}
	p.Callee(t, "1002", "127.0.43.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500"})
	if res := p.Call(t, "1001", "127.0.43.1", caller(t, 500), "8000", nil); res.Check(1) != nil {
		t.Fatalf("first call: %v", res.Check(1))
	}
	deadline := time.Now().Add(20 * time.Second)
	for r := traffic(); r["offered"] != float64(1) || r["answered"] != float64(1); r = traffic() {
		if time.Now().After(deadline) {
			var detail report.Table
			o.do(t, "GET", "/api/v1/reports/cdrs?"+window(), sup, nil, &detail)
			t.Fatalf("the first call in the traffic report: %v; call details %v", r, detail.Rows)
		}
		time.Sleep(time.Second) // within the report API's rate
	}

	o.stop(t)
	if res := p.Call(t, "1001", "127.0.43.1", caller(t, 500), "8000", nil); res.Check(1) != nil {
		t.Fatalf("second call: %v", res.Check(1))
	}
	p.Restart(t) // the hub that held the second call's events is gone
	o.start(t)
	sys, sup = o.login(t, "sysadmin"), o.login(t, "supervisor1")
	eventually(t, 20*time.Second, "the OA back on the restarted PBX", func() bool { return o.LinkStats()["demo"].Connected })
	// The pass the OA makes as it starts reads the CDRs of the intervals
	// since its last pass.
	eventually(t, 20*time.Second, "the second call, filled from the CDRs", func() bool {
		time.Sleep(500 * time.Millisecond) // within the report API's rate
		return traffic()["offered"] == float64(2)
	})
	cdrs := p.CDRs(t, 2)
	var detail report.Table
	o.do(t, "GET", "/api/v1/reports/cdrs?limit=1000&"+window(), sup, nil, &detail)
	if detail.Total != len(cdrs) {
		t.Fatalf("%d call details, %d CDRs", detail.Total, len(cdrs))
	}
	ids, sources := map[string]map[string]any{}, map[string]int{}
	for _, r := range detail.Rows {
		ids[r["call_id"].(string)] = r
	}
	for _, c := range cdrs {
		r := ids[c.ID]
		if r == nil {
			t.Errorf("CDR %s missing from the call details", c.ID)
			continue
		}
		if want := math.Round(c.Talk.Seconds()) - math.Round(c.Hold.Seconds()); r["talk_s"] != want {
			t.Errorf("%s: talk %v, the CDR %v", c.ID, r["talk_s"], want)
		}
		sources[r["source"].(string)]++
	}
	// The second call (newest first) came from the CDRs only; the first
	// came by the CTI and the CDR may have corrected it (its queue wait).
	if detail.Rows[0]["source"] != "cdr" {
		t.Errorf("the call made while the OA was down: %v", detail.Rows[0])
	}
	t.Logf("call details: %v", detail.Rows)
	r := traffic()
	if r["offered"] != float64(2) || r["answered"] != float64(2) || r["abandoned"] != float64(0) {
		t.Errorf("after the reconcile: %v", r)
	}
	// Nothing more to fill.
	var rec report.ReconcileResult
	if code := o.do(t, "POST", "/api/v1/reports/reconcile?"+window(), sys, nil, &rec); code != 200 || rec.Checked != 2 || rec.Added+rec.Corrected != 0 {
		t.Errorf("reconcile on request: %d %+v", code, rec)
	}
}
