package oa_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/tests/browserdriver"
)

// feedCall delivers a call's call.ended as the CTI link would: answered
// by agent after wait s (talk s, hold included), or given up by the
// caller after wait s when agent is "".
func feedCall(t *testing.T, o *oaProc, seq uint64, id, queue, agent string, start time.Time, wait, talk, hold int) {
	t.Helper()
	d := protocol.CallEnded{Call: id, Queue: queue, Agent: agent, Caller: "13800138000", Callee: "95000", Start: protocol.Timestamp(start),
		WaitS: wait, HangupSide: "caller", HangupCause: "bye", Disposition: "cancelled", End: protocol.Timestamp(start.Add(time.Duration(wait) * time.Second))}
	if agent != "" {
		d.Answer = protocol.Timestamp(start.Add(time.Duration(wait) * time.Second))
		d.End = protocol.Timestamp(start.Add(time.Duration(wait+talk) * time.Second))
		d.TalkS, d.HoldS, d.Disposition = talk, hold, "answered"
	}
	feed(t, o, seq, protocol.EventCallEnded, d.End, d)
}

func feed(t *testing.T, o *oaProc, seq uint64, typ, ts string, d any) {
	t.Helper()
	raw, _ := json.Marshal(d)
	env := protocol.Envelope{V: 1, Type: typ, Seq: seq, TS: ts, Tenant: "demo", Data: raw}
	if _, err := o.Service.ApplyEvent(context.Background(), "demo", "ui-report-pages", env); err != nil {
		t.Fatal(err)
	}
}

// signInUI signs name in on the login screen of page p (我的工单 follows).
func signInUI(t *testing.T, b *browserdriver.Browser, o *oaProc, p, name string) {
	t.Helper()
	b.Open(p, o.url("/"))
	b.Wait(p, "#l-name", 10*time.Second)
	b.Fill(p, "#l-name", name)
	b.Fill(p, "#l-pass", o.Passwords[name])
	b.Click(p, "button[type=submit]")
	b.Wait(p, "[data-test=tab-mine]", 10*time.Second)
}

// screenRows is the report table as the page shows it: each row's cells
// in column order, [key, text].
func screenRows(t *testing.T, b *browserdriver.Browser, p string) [][][2]string {
	t.Helper()
	var rows [][][2]string
	b.Eval(p, `[...document.querySelectorAll('[data-test=report-table] .el-table__body tbody tr')].map(tr =>
		[...tr.querySelectorAll('[data-col]')].map(s => [s.dataset.col, s.textContent.trim()]))`, &rows)
	return rows
}

// browserPage is one named page of the browser.
type browserPage struct {
	b interface {
		Eval(page, js string, out any)
	}
	name string
}

func (p browserPage) Eval(js string, out any) { p.b.Eval(p.name, js, out) }

// rowByKey finds a screen row by its first cell.
func rowByKey(rows [][][2]string, key string) map[string]string {
	for _, r := range rows {
		if len(r) > 0 && r[0][1] == key {
			m := map[string]string{}
			for _, c := range r {
				m[c[0]] = c[1]
			}
			return m
		}
	}
	return nil
}

// shown is a workbook cell as the page shows its figure: rates as
// percentages with one decimal, other fractions to one decimal, an empty
// cell as a dash.
func shown(key, cell string) string {
	if cell == "" {
		return "—"
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return cell
	}
	if key == "service_level" || key == "occupancy" || strings.HasSuffix(key, "_rate") {
		return strconv.FormatFloat(math.Round(v*1000)/10, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// The 统计报表 pages in Chromium on a hand-built morning: two queues, two
// agents, seven calls. 客服话务统计 by queue shows the figures computed by
// hand below, 昨天 is empty and two days typed into the picker make a
// custom range; a queue drills into its agents (that queue's calls only) and
// a day into its 15-minute intervals; the Excel export the page makes
// opens with excelize and holds exactly the rows on the screen; 明细报表
// takes an agent from a drill-down and an outcome filter; a ticket
// category of 工单统计 opens 工单查询 filtered by it.
//
//	call  queue    agent  start  wait  talk(hold)  outcome
//	h1    hotline  a1001  09:00  10    100 (20)    answered in 20 s
//	h2    hotline  a1002  09:05  30     60         answered late
//	h3    hotline  -      09:10   3      -         abandoned, short (< 5 s)
//	h4    hotline  -      09:20  40      -         abandoned
//	h5    hotline  a1001  09:35   5     80         answered in 20 s
//	v1    vip      a1002  09:02   8    120         answered in 20 s
//	v2    vip      -      09:50  12      -         abandoned
//
// hotline: offered 5, answered 3, abandoned 2 (1 short); SL (short
// abandons left out) 2 ÷ (5 − 1) = 50.0%; answer rate 60.0%; abandon rate
// 40.0%; ASA (10 + 30 + 5) ÷ 3 = 15; longest wait 40; talk net of hold
// 80 + 60 + 80 = 220, hold 20; AHT (220 + 20) ÷ 3 = 80.
// vip: offered 2, answered 1, abandoned 1 (not short); SL 1 ÷ 2 = 50.0%;
// ASA 8; longest 12; AHT 120.
// hotline's agents: a1001 handled 2, ASA 7.5, talk 160, hold 20, AHT 90;
// a1002 handled 1, ASA 30, AHT 60.
// hotline's intervals (Asia/Shanghai): 09:00 offered 3, 09:15 1, 09:30 1.
// By agent over every queue, a1001 (states fed after its calls) shows its
// login, not-ready-by-reason and occupancy (worked out where they are fed).
func TestOAUIReportPagesDrillDownAndExport(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst)
	day := now.Format("2006-01-02")
	at := func(hm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hm, cst)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	calls := []struct {
		id, queue, agent, start string
		wait, talk, hold        int
	}{
		{"h1", "hotline", "a1001", "09:00", 10, 100, 20}, {"h2", "hotline", "a1002", "09:05", 30, 60, 0}, {"h3", "hotline", "", "09:10", 3, 0, 0},
		{"h4", "hotline", "", "09:20", 40, 0, 0}, {"h5", "hotline", "a1001", "09:35", 5, 80, 0}, {"v1", "vip", "a1002", "09:02", 8, 120, 0},
		{"v2", "vip", "", "09:50", 12, 0, 0},
	}
	for i, c := range calls {
		feedCall(t, o, uint64(i+1), "c-rpt-"+c.id, c.queue, c.agent, at(c.start), c.wait, c.talk, c.hold)
	}
	feed(t, o, uint64(len(calls)+1), protocol.EventRecordingReady, protocol.Timestamp(at("10:00")),
		protocol.RecordingReady{Call: "c-rpt-h1", Agent: "a1001", Queue: "hotline", URL: "http://pbx.test/api/v1/recordings/r-h1"})

	// a1001 after the calls: ready 10:00, not ready (lunch) 10:10, logged
	// out 10:40 — logged in 2400 s, not ready 1800 s; its calls h1 and h5
	// took 160 + 20 s, so occupancy (160 + 20) ÷ (2400 − 1800) = 30.0%.
	for i, st := range []protocol.AgentState{{Agent: "a1001", State: "ready", Since: protocol.Timestamp(at("10:00"))},
		{Agent: "a1001", State: "not_ready", Reason: "lunch", Since: protocol.Timestamp(at("10:10"))},
		{Agent: "a1001", State: "logged_out", Since: protocol.Timestamp(at("10:40"))}} {
		feed(t, o, uint64(len(calls)+2+i), protocol.EventAgentState, st.Since, st)
	}

	// Tickets today: two in one category, one in another.
	sup := o.login(t, "supervisor1")
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", sup, nil, &cats)
	if len(cats.Items) < 2 {
		t.Fatalf("categories %v", cats.Items)
	}
	for i, title := range []string{"终端黑屏", "终端卡纸", "兑奖咨询"} {
		if code := o.do(t, "POST", "/api/v1/tickets", sup, map[string]any{"title": title, "category_id": cats.Items[i/2].ID, "priority": "normal"}, nil); code != 201 {
			t.Fatalf("ticket: %d", code)
		}
	}

	signInUI(t, b, o, p, "supervisor1")

	// 统计报表 from the menu opens 客服话务统计: today, by queue.
	b.Click(p, "nav a:has-text('统计报表')")
	b.Wait(p, "[data-test=report-table] [data-col=queue]:text-is('vip')", 10*time.Second)
	b.Wait(p, "[data-report=traffic] canvas, .rchart canvas", 10*time.Second)
	rows := screenRows(t, b, p)
	if len(rows) != 2 {
		t.Fatalf("queue rows %v", rows)
	}
	want := map[string]map[string]string{
		"hotline": {"offered": "5", "answered": "3", "abandoned": "2", "short_abandoned": "1", "answered_in_sl": "2", "service_level": "50.0%",
			"answer_rate": "60.0%", "abandon_rate": "40.0%", "asa_s": "15", "longest_wait_s": "40", "handled": "3", "talk_s": "220", "hold_s": "20",
			"acw_s": "0", "aht_s": "80"},
		"vip": {"offered": "2", "answered": "1", "abandoned": "1", "short_abandoned": "0", "service_level": "50.0%", "answer_rate": "50.0%",
			"asa_s": "8", "longest_wait_s": "12", "handled": "1", "talk_s": "120", "aht_s": "120"},
	}
	for q, w := range want {
		got := rowByKey(rows, q)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("%s %s: %q on the screen, %q by hand", q, k, got[k], v)
			}
		}
	}
	// The formulas, including how abandons count in the service level.
	if f := b.Text(p, "[data-test=formulas] [data-formula=service_level]"); !strings.Contains(f, "20 秒内接听数") || !strings.Contains(f, "短放弃不计") {
		t.Errorf("service level formula %q", f)
	}
	if txt := b.Text(p, "[data-test=period]"); !strings.Contains(txt, day+" 至 "+day) || !strings.Contains(txt, "Asia/Shanghai") {
		t.Errorf("period %q", txt)
	}
	b.Shot(p, "01-traffic-by-queue")

	// Abandons counted as misses: the service level changes with the
	// definition, and the formula says so. hotline 2 ÷ 5 = 40.0%.
	b.Click(p, ".el-select__wrapper:has(#r-ab)")
	b.Click(p, ".el-select-dropdown__item:visible:has-text('全部计为未达标')")
	b.Wait(p, "[data-test=formulas] [data-formula=service_level]:has-text('放弃均计为未达标')", 5*time.Second)
	if got := rowByKey(screenRows(t, b, p), "hotline")["service_level"]; got != "40.0%" {
		t.Errorf("hotline's service level with every abandon a miss: %q", got)
	}
	b.Click(p, ".el-select__wrapper:has(#r-ab)")
	b.Click(p, ".el-select-dropdown__item:visible:has-text('短放弃不计')")
	b.Wait(p, "[data-test=formulas] [data-formula=service_level]:has-text('短放弃不计')", 5*time.Second)

	// 昨天 had no calls; back to 今天.
	var hash string
	yesterday := now.AddDate(0, 0, -1).Format("2006-01-02")
	b.Click(p, "[data-test=range-yesterday]")
	b.Wait(p, "[data-test=period]:has-text('"+yesterday+" 至 "+yesterday+"')", 5*time.Second)
	b.Wait(p, "[data-test=report-table] .el-table__empty-text:has-text('该期间没有数据')", 5*time.Second)
	b.Click(p, "[data-test=range-today]")
	b.Wait(p, "[data-test=report-table] [data-col=queue]:text-is('vip')", 5*time.Second)
	// Two days typed into the picker: a custom range, in the address.
	b.Fill(p, ".days input.el-range-input >> nth=0", yesterday)
	b.Fill(p, ".days input.el-range-input >> nth=1", day)
	b.Press(p, "Enter")
	b.Wait(p, "[data-test=period]:has-text('"+yesterday+" 至 "+day+"')", 5*time.Second)
	b.Wait(p, "[data-test=range-custom].is-active", 5*time.Second)
	b.Eval(p, `location.hash`, &hash)
	if !strings.Contains(hash, "range=custom&from="+yesterday+"&to="+day) {
		t.Errorf("a custom range's address %q", hash)
	}
	if r := rowByKey(screenRows(t, b, p), "hotline"); r["offered"] != "5" {
		t.Errorf("hotline over two days %v", r)
	}

	// hotline → its agents: that queue's calls only.
	b.Click(p, "[data-test=report-table] tr:has([data-col=queue]:text-is('hotline')) [data-test=drill-agents]")
	b.Wait(p, "[data-test=report-table] [data-col=agent]:text-is('a1002')", 5*time.Second)
	b.Eval(p, `location.hash`, &hash)
	if !strings.Contains(hash, "by=agent") || !strings.Contains(hash, "queue=hotline") {
		t.Errorf("the drilled page's address %q", hash)
	}
	rows = screenRows(t, b, p)
	agents := map[string]map[string]string{
		"a1001": {"handled": "2", "asa_s": "7.5", "longest_wait_s": "10", "talk_s": "160", "hold_s": "20", "acw_s": "0", "aht_s": "90"},
		"a1002": {"handled": "1", "asa_s": "30", "talk_s": "60", "hold_s": "0", "aht_s": "60"},
	}
	if len(rows) != 2 {
		t.Fatalf("hotline's agents %v", rows)
	}
	for a, w := range agents {
		got := rowByKey(rows, a)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("hotline %s %s: %q on the screen, %q by hand", a, k, got[k], v)
			}
		}
	}
	b.Shot(p, "02-hotline-agents")

	// The page's export, caught as the page saves it, against the screen.
	// (Its blob, read as the page makes its object URL; the link is not
	// followed.)
	b.Eval(p, `(() => {
		window.__saved = null;
		let blob = null;
		const make = URL.createObjectURL;
		URL.createObjectURL = (b) => { blob = b; return make.call(URL, b); };
		HTMLAnchorElement.prototype.click = function () {
			const name = this.download;
			blob.arrayBuffer().then(buf => {
				const a = new Uint8Array(buf); let bin = '';
				for (const x of a) bin += String.fromCharCode(x);
				window.__saved = { name, b64: btoa(bin) };
			});
		};
		return true;
	})()`, nil)
	b.Click(p, "[data-test=export]")
	b.Wait(p, "[data-test=exported]:has-text('已导出 2 行')", 10*time.Second)
	saved := waitSaved(t, b, p)
	if saved.Name != "traffic-agent-"+yesterday+"-"+day+".xlsx" { // the custom range carried into the drill-down
		t.Errorf("saved as %q", saved.Name)
	}
	sameRows(t, b, p, saved, rows)

	// A reload of the drilled page shows the same rows.
	b.Eval(p, `location.reload(), true`, nil)
	b.Wait(p, "[data-test=report-table] [data-col=agent]:text-is('a1002')", 10*time.Second)
	if again := screenRows(t, b, p); fmt.Sprint(again) != fmt.Sprint(rows) {
		t.Errorf("after a reload %v, before %v", again, rows)
	}

	// Back to the queues, then hotline by day → that day by 15 minutes.
	b.Open(p, base+"/#/reports/traffic?range=today&by=queue")
	b.Click(p, "[data-test=report-table] tr:has([data-col=queue]:text-is('hotline')) [data-test=drill-days]")
	b.Wait(p, "[data-test=report-table] [data-col=time]:text-is('"+day+"')", 5*time.Second)
	b.Click(p, "[data-test=report-table] [data-test=drill-intervals]")
	b.Wait(p, "[data-test=report-table] [data-col=time]:text-is('"+day+" 09:30')", 5*time.Second)
	rows = screenRows(t, b, p)
	got := []string{}
	for _, r := range rows {
		m := rowByKey(rows, r[0][1])
		got = append(got, m["time"]+" "+m["offered"]+"/"+m["answered"]+"/"+m["abandoned"])
	}
	if w := []string{day + " 09:00 3/2/1", day + " 09:15 1/0/1", day + " 09:30 1/1/0"}; fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("hotline's intervals %v, by hand %v", got, w)
	}
	b.Shot(p, "03-hotline-intervals")

	// By agent over every queue: the agent's own time, not ready by reason.
	b.Open(p, base+"/#/reports/traffic?range=today&by=agent")
	b.Wait(p, "[data-test=report-table] th:has-text('示忙-lunch(秒)')", 10*time.Second)
	r := rowByKey(screenRows(t, b, p), "a1001")
	for k, v := range map[string]string{"handled": "2", "talk_s": "160", "hold_s": "20", "logged_in_s": "2400", "not_ready_s": "1800", "not_ready:lunch": "1800", "occupancy": "30.0%"} {
		if r[k] != v {
			t.Errorf("a1001 %s: %q on the screen, %q by hand", k, r[k], v)
		}
	}
	if r := rowByKey(screenRows(t, b, p), "a1002"); r["handled"] != "2" || r["occupancy"] != "—" {
		t.Errorf("a1002 (no states) %v", r)
	}
	b.Shot(p, "03b-agents")

	// An agent's calls: a1001 in hotline from the agents' page.
	b.Open(p, base+"/#/reports/traffic?range=today&by=agent&queue=hotline")
	b.Click(p, "[data-test=report-table] tr:has([data-col=agent]:text-is('a1001')) [data-test=drill-calls]")
	b.Wait(p, "[data-report=calls]", 5*time.Second)
	b.Wait(p, "[data-test=report-table] [data-col=call_id]:text-is('c-rpt-h5')", 5*time.Second)
	if ids := callIDs(t, b, p); ids != "c-rpt-h5 c-rpt-h1" {
		t.Errorf("a1001's hotline calls %q", ids)
	}
	if href := b.Text(p, "[data-test=report-table] tr:has([data-col=call_id]:text-is('c-rpt-h1')) a[data-col=recording_url]"); href != "录音" {
		t.Errorf("recording link %q", href)
	}
	var start string
	b.Eval(p, `document.querySelector('[data-test=report-table] tr:has([data-col=call_id]) [data-col=start]').textContent`, &start)
	if start != day+" 09:35:00" {
		t.Errorf("h5 starts %q on the screen (Asia/Shanghai)", start)
	}
	// 明细 filtered: hotline's abandoned calls, whoever the agent.
	b.Fill(p, "#c-agent", "")
	b.Click(p, ".el-select__wrapper:has(#c-outcome)")
	b.Click(p, ".el-select-dropdown__item:visible:has-text('放弃')")
	b.Wait(p, "[data-test=report-table] [data-col=call_id]:text-is('c-rpt-h4')", 5*time.Second)
	b.Wait(p, "[data-test=period]:has-text('共 2 行')", 5*time.Second)
	if ids := callIDs(t, b, p); ids != "c-rpt-h4 c-rpt-h3" {
		t.Errorf("hotline's abandoned calls %q", ids)
	}
	b.Eval(p, `location.hash`, &hash)
	if !strings.Contains(hash, "outcome=abandoned") || !strings.Contains(hash, "queue=hotline") || strings.Contains(hash, "agent=") {
		t.Errorf("the filtered page's address %q", hash)
	}
	b.Shot(p, "04-calls-filtered")
	// The queue filter offers the queues the reports have seen: vip, picked,
	// applies at once (its abandoned calls).
	b.Fill(p, "#c-queue", "v")
	b.Click(p, ".el-autocomplete-suggestion li:visible:has-text('vip')")
	b.Wait(p, "[data-test=report-table] [data-col=call_id]:text-is('c-rpt-v2')", 5*time.Second)
	if ids := callIDs(t, b, p); ids != "c-rpt-v2" {
		t.Errorf("vip's abandoned calls %q", ids)
	}

	// 工单统计 by category → 工单查询 filtered by it.
	b.Click(p, "[data-test=rtab-tickets]")
	b.Wait(p, "[data-test=report-table] [data-col=key]:text-is('"+cats.Items[0].Name+"')", 10*time.Second)
	if r := rowByKey(screenRows(t, b, p), cats.Items[0].Name); r["created"] != "2" {
		t.Errorf("%s created %q", cats.Items[0].Name, r["created"])
	}
	b.Shot(p, "05-tickets-by-category")
	b.Click(p, "[data-test=report-table] tr:has([data-col=key]:text-is('"+cats.Items[0].Name+"')) [data-test=drill-tickets]")
	b.Wait(p, "[data-test=tickets] tbody tr", 10*time.Second)
	b.Wait(p, ".el-pagination__total:has-text('2')", 5*time.Second)
	var titles []string
	b.Eval(p, `[...document.querySelectorAll('[data-test=tickets] tbody tr')].map(tr => tr.children[1].textContent.trim()).sort()`, &titles)
	if fmt.Sprint(titles) != "[终端卡纸 终端黑屏]" {
		t.Errorf("the category's tickets %v", titles)
	}
	b.Shot(p, "06-ticket-query-from-report")

	// 工单处理统计 and 客户统计 render with their columns and formulas.
	b.Open(p, base+"/#/reports/ticket-handling?range=month&by=category")
	b.Wait(p, "[data-test=report-table] th:has-text('按时办结率')", 10*time.Second)
	b.Wait(p, "[data-test=formulas] [data-formula=resolve_on_time_rate]", 5*time.Second)
	if r := rowByKey(screenRows(t, b, p), cats.Items[0].Name); r["dispatched"] != "0" || r["resolve_on_time_rate"] != "—" {
		t.Errorf("%s handling %v", cats.Items[0].Name, r)
	}
	b.Shot(p, "07-ticket-handling")
	b.Click(p, "[data-test=rtab-customers]")
	b.Wait(p, "[data-test=report-table] th:has-text('新增客户')", 10*time.Second)
	b.Wait(p, "[data-test=formulas] [data-formula=added]", 5*time.Second)
	b.Shot(p, "08-customers")

	// In English the headings and controls follow the page's language.
	b.Click(p, "header button:has-text('English')")
	b.Open(p, base+"/#/reports/traffic?range=today&by=queue")
	b.Wait(p, "[data-test=report-table] th:has-text('Service level')", 10*time.Second)
	b.Wait(p, "[data-test=range-week]:has-text('This week')", 5*time.Second)
	if r := rowByKey(screenRows(t, b, p), "hotline"); r["service_level"] != "50.0%" {
		t.Errorf("hotline in English %v", r)
	}
	b.Shot(p, "09-traffic-english")
}

type savedFile struct {
	Name string `json:"name"`
	B64  string `json:"b64"`
}

func waitSaved(t *testing.T, b *browserdriver.Browser, p string) savedFile {
	t.Helper()
	var s *savedFile
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b.Eval(p, `window.__saved`, &s)
		if s != nil {
			return *s
		}
	}
	t.Fatal("the export was not saved")
	return savedFile{}
}

// sameRows opens the saved workbook and compares it, row by row and cell
// by cell, with the table on the screen (and its header with the screen's).
func sameRows(t *testing.T, b *browserdriver.Browser, p string, s savedFile, screen [][][2]string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s.B64)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the export does not open: %v", err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	var head []string
	b.Eval(p, `[...document.querySelectorAll('[data-test=report-table] .el-table__header th')].map(th => th.textContent.trim()).filter(x => x && x !== '钻取')`, &head)
	if len(rows) != len(screen)+1 {
		t.Fatalf("%d rows in the workbook, %d on the screen: %v", len(rows)-1, len(screen), rows)
	}
	if fmt.Sprint(rows[0]) != fmt.Sprint(head) {
		t.Errorf("workbook header %v, screen %v", rows[0], head)
	}
	for i, r := range screen {
		for j, c := range r {
			cell := ""
			if j < len(rows[i+1]) {
				cell = rows[i+1][j]
			}
			if shown(c[0], cell) != c[1] {
				t.Errorf("row %d %s: %q in the workbook, %q on the screen", i+1, c[0], cell, c[1])
			}
		}
	}
}

func callIDs(t *testing.T, b *browserdriver.Browser, p string) string {
	t.Helper()
	var ids []string
	b.Eval(p, `[...document.querySelectorAll('[data-test=report-table] .el-table__body [data-col=call_id]')].map(s => s.textContent.trim())`, &ids)
	return strings.Join(ids, " ")
}
