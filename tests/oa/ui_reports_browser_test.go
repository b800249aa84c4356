package oa_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/oa/report"
)

// The dashboard and knowledge search in Chromium: the charts draw with
// their formulas, the daily traffic the page exports opens with excelize
// and holds the rows the report API gave, and a search in the caller's
// words shows the article with its words marked.
func TestOAUIDashboardAndKnowledgeSearch(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	// Three queue calls today, as the CTI would deliver them.
	now := time.Now().Add(-time.Hour)
	for i := 0; i < 3; i++ {
		st := now.Add(time.Duration(i) * time.Minute)
		d := protocol.CallEnded{Call: "c-dash-" + strconv.Itoa(i), Queue: "hotline", Agent: "a1001", Caller: "13800138000", Callee: "8000",
			Start: protocol.Timestamp(st), Answer: protocol.Timestamp(st.Add(5 * time.Second)), End: protocol.Timestamp(st.Add(65 * time.Second)),
			WaitS: 5, TalkS: 60, Disposition: "answered", HangupSide: "caller", HangupCause: "bye"}
		raw, _ := json.Marshal(d)
		env := protocol.Envelope{V: 1, Type: protocol.EventCallEnded, Seq: uint64(i + 1), TS: d.End, Tenant: "demo", Data: raw}
		if _, err := o.Service.ApplyEvent(context.Background(), "demo", "ui-dash", env); err != nil {
			t.Fatal(err)
		}
	}
	sup := o.login(t, "supervisor1")
	addSupervisor(t, o, "supervisor2")
	sup2 := o.login(t, "supervisor2")
	o.do(t, "PUT", "/api/v1/knowledge/synonyms", sup, map[string]any{"groups": [][]string{{"彩票站", "彩票站点", "投注站"}, {"报修", "故障报修"}}}, nil)
	var kb knowledge.Base
	o.do(t, "POST", "/api/v1/knowledge/bases", sup, map[string]any{"name": "热线知识"}, &kb)
	var art knowledge.Article
	o.do(t, "POST", "/api/v1/knowledge/articles", sup, map[string]any{"base_id": kb.ID, "title": "投注站设备故障报修流程", "body_html": "<p>仍不能出票的登记<b>报修</b>。</p>"}, &art)
	o.do(t, "POST", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10)+"/submit", sup, nil, nil)
	if code := o.do(t, "POST", "/api/v1/knowledge/articles/"+strconv.FormatInt(art.ID, 10)+"/review", sup2, map[string]any{"approve": true}, nil); code != 200 {
		t.Fatalf("review: %d", code)
	}

	signInUI(t, b, o, p, "supervisor1")

	b.Open(p, base+"/#/dashboard")
	b.Wait(p, "figure[data-chart=call_trend] canvas", 15*time.Second)
	var n int
	b.Eval(p, `document.querySelectorAll('figure[data-chart] canvas').length`, &n)
	if n != len(report.ChartIDs()) {
		t.Errorf("%d charts drawn, %d configured", n, len(report.ChartIDs()))
	}
	var txt string
	b.Eval(p, `document.querySelector('figure[data-chart=service_level] details').textContent`, &txt)
	if !bytes.Contains([]byte(txt), []byte("服务水平")) {
		t.Errorf("the service level's formula is not shown: %q", txt)
	}
	b.Shot(p, "dashboard")

	// The export the page offers, fetched as the page fetches it.
	day := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	exportURL := "/api/v1/reports/traffic?" + url.Values{"by": {"day"}, "format": {"xlsx"}, "from": {day}, "to": {day}}.Encode()
	var b64 string
	b.Eval(p, `(async () => {
		const s = JSON.parse(Object.entries(localStorage).find(([k]) => k.includes('session'))[1]);
		const r = await fetch(`+strconv.Quote(exportURL)+`, { headers: { Authorization: 'Bearer ' + s.token } });
		const a = new Uint8Array(await r.arrayBuffer());
		let bin = ''; for (const x of a) bin += String.fromCharCode(x);
		return btoa(bin);
	})()`, &b64)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the export does not open: %v", err)
	}
	rows, _ := f.GetRows("Sheet1")
	var tb report.Table
	o.do(t, "GET", "/api/v1/reports/traffic?by=day&from="+day+"&to="+day, sup, nil, &tb)
	if len(tb.Rows) != 1 || len(rows) != 2 || rows[0][0] != "时间" {
		t.Fatalf("export %v, report %v", rows, tb.Rows)
	}
	for i, c := range tb.Columns {
		if rows[1][i] != report.Cell(tb.Rows[0][c.Key]) && !(rows[1][i] == "" && tb.Rows[0][c.Key] == nil) {
			t.Errorf("%s: %q in the workbook, %v on the screen", c.Label, rows[1][i], tb.Rows[0][c.Key])
		}
	}
	if tb.Rows[0]["offered"] != float64(3) {
		t.Errorf("offered %v", tb.Rows[0]["offered"])
	}

	// 知识检索 in the caller's words.
	b.Open(p, base+"/#/knowledge")
	b.Wait(p, "form[role=search] input", 10*time.Second)
	b.Fill(p, "form[role=search] input", "彩票站点报修")
	b.Click(p, "form[role=search] button[type=submit]")
	b.Wait(p, "[data-test=kb-hit] mark", 10*time.Second)
	if txt := b.Text(p, "[data-test=kb-hit] a"); txt != "投注站设备故障报修流程" {
		t.Errorf("hit %q", txt)
	}
	b.Click(p, "[data-test=kb-hit] a")
	b.Wait(p, ".el-dialog article b:has-text('报修')", 5*time.Second)
	b.Shot(p, "knowledge")

	// The agent bar's screen pop opens the page with what the agent typed:
	// the search runs at once.
	b.Open(p, base+"/#/knowledge?q="+url.QueryEscape("投注站 报修"))
	b.Wait(p, "[data-test=kb-hit] mark", 10*time.Second)
	if txt := b.Text(p, "[data-test=kb-hit] a"); txt != "投注站设备故障报修流程" {
		t.Errorf("hit from the link %q", txt)
	}
}
