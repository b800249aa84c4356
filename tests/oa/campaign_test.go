package oa_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/campaign"
	"github.com/yimen/yimen/tests/testpbx"
)

// campaignPBX: agents a1001-a1003 on extensions 1001-1003 (logged in as
// their phones register) and a trunk to a SIPp carrier taking mobiles.
func campaignPBX(t *testing.T, carrierAddr string) *testpbx.PBX {
	t.Helper()
	return testpbx.Start(t, func(c *config.Config) {
		host, _, _ := net.SplitHostPort(c.SIP.UDP)
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		c.HTTP.Addr = ln.Addr().String()
		ln.Close()
		c.SIP.TrunkUDP = net.JoinHostPort(host, "0")
		c.Tenants[0].TenantTrunks = config.TenantTrunks{
			AreaCode: "010",
			CallerID: "01058001001",
			DIDs:     []config.DID{{Number: "01058001000", Target: "1001"}, {Number: "01058001001", Target: "1001"}},
			Trunks:   []config.Trunk{{Name: "carrier", Auth: "ip", Proxy: carrierAddr, OptionsInterval: time.Second}},
			Routes:   []config.OutboundRoute{{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"carrier"}}},
		}
		c.Tenants[0].Agents = []config.Agent{{ID: "a1001", Name: "Agent 1001", Extension: "1001"}, {ID: "a1002", Name: "Agent 1002", Extension: "1002"},
			{ID: "a1003", Name: "Agent 1003", Extension: "1003"}}
		c.Tenants[0].Queues = map[string]config.Queue{"support": {Strategy: "longest-idle", Agents: []string{"a1001", "a1002", "a1003"}, RingTimeout: 15 * time.Second}}
		c.Tenants[0].AutoLogin = true
		c.Recording.Policy = "always"
	})
}

// upload posts a list file to the campaign's import.
func (o *oaProc) upload(t *testing.T, path, token, contentType string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", o.url(path), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("import: %d %s: %v", res.StatusCode, b, err)
	}
	return res.StatusCode
}

// The proof: a progressive campaign over 50 numbers worked by 3
// SIPp agents, the citizens a SIPp carrier behind a trunk. The dialler
// places nothing on a holiday; then one call per ready agent and never
// more calls than ready agents (a1003 is not ready for the first part);
// the busy number is tried max_attempts times, each after the spacing;
// the do-not-call number is never dialled; the bad import row is reported
// by its line and nothing of it is stored. Then a 回访 of a ticket through
// a preview campaign answered "dissatisfied" reopens the ticket.
func TestProgressiveCampaignOverATrunk(t *testing.T) {
	sipp.Require(t)
	const carrierIP = "127.0.44.9"
	port := testpbx.FreeUDPPort(t, carrierIP)
	carrier, err := sipp.Start(t.Context(), sipp.Options{Scenario: filepath.Join("testdata", "carrier_campaign.xml"), LocalIP: carrierIP, LocalPort: port,
		TraceMsg: true, Dir: t.TempDir(), Timeout: 120 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { carrier.Stop() })
	p := campaignPBX(t, net.JoinHostPort(carrierIP, strconv.Itoa(port)))
	exts := map[string]string{"1001": "a1001", "1002": "a1002", "1003": "a1003"}
	for ext := range exts {
		p.Callee(t, ext, "127.0.44."+ext[3:], "uas_answer.xml", false, map[string]string{"hangup_ms": "500"})
	}
	// a1003 sits out the first part.
	a3 := p.DialCTI(t, p.AgentCTIToken(t, "agent", "a1003"))
	eventually(t, 10*time.Second, "a1003 logged in", func() bool { return a3.NotReady(t.Context(), "", "meeting") == nil })
	// a1003's own CTI client: the cards of its campaign calls.
	if _, err := a3.Subscribe(t.Context(), "agent:a1003"); err != nil {
		t.Fatal(err)
	}
	var popMu sync.Mutex
	var pops []protocol.ScreenPop
	go func() {
		for {
			select {
			case <-t.Context().Done():
				return
			case ev, ok := <-a3.Events():
				if !ok {
					return
				}
				var p protocol.ScreenPop
				if ev.Type == protocol.EventScreenPop && ev.Decode(&p) == nil {
					popMu.Lock()
					pops = append(pops, p)
					popMu.Unlock()
				}
			}
		}
	}()

	o := startOA(t, p)
	sup := o.login(t, "supervisor1")
	eventually(t, 15*time.Second, "the OA's CTI link", func() bool { return o.LinkStats()["demo"].Connected })
	holiday := time.Date(2026, 10, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	o.Campaigns.SetClock(func() time.Time { return holiday })

	var c campaign.Campaign
	if code := o.do(t, "POST", "/api/v1/campaigns", sup, map[string]any{"name": "满意度外呼", "mode": "progressive", "caller_id": "01058001000",
		"agents": []string{"a1001", "a1002", "a1003"}, "max_attempts": 3, "retry_spacing_s": 2}, &c); code != 201 {
		t.Fatalf("create campaign: %d", code)
	}
	base := "/api/v1/campaigns/" + strconv.FormatInt(c.ID, 10)

	// The list: 50 good rows, a bad number on line 7 and line 3's number
	// again on line 30.
	var csv strings.Builder
	csv.WriteString("电话,姓名,备注\n")
	number := func(i int) string { return fmt.Sprintf("139000000%02d", i) }
	line, good := 1, 0
	for good < 50 {
		line++
		switch line {
		case 7:
			csv.WriteString("1390000ABCD,坏行,不应保存\n")
			continue
		case 30:
			csv.WriteString(number(2) + ",重复,\n")
			continue
		}
		good++
		fmt.Fprintf(&csv, "%s,市民%d,\n", number(good), good)
	}
	var rep campaign.Report
	if code := o.upload(t, base+"/import", sup, "text/csv", []byte(csv.String()), &rep); code != 200 {
		t.Fatalf("import: %d", code)
	}
	if rep.Accepted != 50 || len(rep.Rejected) != 2 || rep.Rejected[0].Line != 7 || rep.Rejected[1].Line != 30 ||
		!strings.Contains(rep.Rejected[0].Reason, "phone") || !strings.Contains(rep.Rejected[1].Reason, "line 3") {
		t.Fatalf("import report %+v", rep)
	}
	var targets struct {
		Items []campaign.Target
		Total int
	}
	o.do(t, "GET", base+"/targets?limit=500", sup, nil, &targets)
	for _, tg := range targets.Items {
		if tg.Name == "坏行" || tg.Note == "不应保存" || tg.Line == 7 || tg.Line == 30 {
			t.Errorf("something of a rejected row was stored: %+v", tg)
		}
		if strings.Contains(tg.Phone, "000000") {
			t.Errorf("number %s shown unmasked", tg.Phone)
		}
	}
	if targets.Total != 50 {
		t.Fatalf("%d numbers on the list, want 50", targets.Total)
	}
	const dncNumber, busyNumber = "13900000021", "13900000013"
	if code := o.do(t, "POST", "/api/v1/dnc", sup, map[string]string{"phone": dncNumber, "reason": "市民要求勿扰"}, nil); code != 201 {
		t.Fatalf("dnc: %d", code)
	}

	// The edge: an agent may not create or run campaigns, bad input names
	// its field, a state the action does not fit is a conflict.
	agent := o.login(t, "agent1001")
	var bad errorReply
	if code := o.do(t, "POST", "/api/v1/campaigns", agent, map[string]any{"name": "x", "mode": "preview"}, nil); code != 403 {
		t.Errorf("an agent created a campaign: %d", code)
	}
	if code := o.do(t, "POST", "/api/v1/campaigns", sup, map[string]any{"name": "x", "mode": "predictive", "hours": "sometimes"}, &bad); code != 400 ||
		bad.Fields["mode"] == "" || bad.Fields["hours"] == "" {
		t.Errorf("a bad campaign: %d %+v", code, bad)
	}
	if code := o.do(t, "POST", base+"/control", sup, map[string]string{"action": "resume"}, nil); code != 409 {
		t.Errorf("resuming a draft: %d", code)
	}
	if code := o.upload(t, base+"/import", sup, "text/csv", []byte("name,note\nx,y\n"), &bad); code != 400 || !strings.Contains(bad.Fields["file"], "phone") {
		t.Errorf("a list without a phone column: %d %+v", code, bad)
	}
	if code := o.do(t, "POST", "/api/v1/dnc", sup, map[string]string{"phone": "call me maybe"}, &bad); code != 400 || bad.Fields["phone"] == "" {
		t.Errorf("a bad do-not-call number: %d %+v", code, bad)
	}

	// The progress, pushed: followed from before the start to the end.
	streamed := make(chan []campaign.Progress, 1)
	go func() {
		var got []campaign.Progress
		defer func() { streamed <- got }()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", o.url(base+"/progress/stream"), nil)
		req.Header.Set("Authorization", "Bearer "+sup)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Errorf("progress stream: %v %v", res, err)
			return
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var pr campaign.Progress
				if json.Unmarshal([]byte(data), &pr) == nil {
					got = append(got, pr)
				}
			}
		}
	}()

	// A holiday: started, nothing dialled.
	if code := o.do(t, "POST", base+"/control", sup, map[string]string{"action": "start"}, nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	time.Sleep(2 * time.Second)
	var pr campaign.Progress
	o.do(t, "GET", base+"/progress", sup, nil, &pr)
	if pr.Dialled != 0 || !strings.Contains(pr.Blocked, "holiday") || len(p.Server.Calls()) != 0 {
		t.Fatalf("on 2026-10-02 the campaign dialled %d (blocked %q, %d calls up)", pr.Dialled, pr.Blocked, len(p.Server.Calls()))
	}

	// A working day: calls go out, watched on the PBX itself.
	began := time.Now()
	workday := time.Date(2026, 10, 9, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var mu sync.Mutex
	ready := map[string]bool{"1001": true, "1002": true}
	peak, peakWhileTwo := 0, 0
	var violations []string
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			on := map[string]int{}
			for _, call := range p.Server.Calls() {
				if _, ok := exts[call.Caller]; ok && call.State != "ended" {
					on[call.Caller]++
				}
			}
			mu.Lock()
			n := 0
			for ext, k := range on {
				n += k
				if k > 1 || !ready[ext] {
					violations = append(violations, fmt.Sprintf("%s on %d calls (ready %v)", ext, k, ready[ext]))
				}
			}
			peak = max(peak, n)
			if !ready["1003"] {
				peakWhileTwo = max(peakWhileTwo, n)
			}
			if n > len(ready) {
				violations = append(violations, fmt.Sprintf("%d calls with %d agents ready", n, len(ready)))
			}
			mu.Unlock()
		}
	}()
	o.Campaigns.SetClock(func() time.Time { return workday.Add(time.Since(began)) })
	eventually(t, 30*time.Second, "the first dozen calls", func() bool {
		pr = campaign.Progress{}
		o.do(t, "GET", base+"/progress", sup, nil, &pr)
		return pr.Dialled >= 12
	})
	mu.Lock()
	ready["1003"] = true // before the ACD hears it, so the sampler is never behind
	mu.Unlock()
	if err := a3.Ready(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 50*time.Second, "the campaign done", func() bool {
		pr = campaign.Progress{}
		o.do(t, "GET", base+"/progress", sup, nil, &pr)
		return pr.State == campaign.StateDone
	})
	close(stop)
	<-sampled
	t.Logf("campaign of 50 numbers done in %v: %+v; peak %d calls (%d while two agents were ready)", time.Since(began).Round(time.Millisecond), pr, peak, peakWhileTwo)
	if len(violations) > 0 {
		t.Errorf("more calls than ready agents: %v", violations[:min(5, len(violations))])
	}
	if peakWhileTwo != 2 || peak != 3 {
		t.Errorf("peak %d calls with 3 agents ready, %d with two: want every ready agent used", peak, peakWhileTwo)
	}
	var pushed []campaign.Progress
	select {
	case pushed = <-streamed:
	case <-time.After(10 * time.Second):
		t.Fatal("the progress stream did not end with the campaign")
	}
	for i := 1; i < len(pushed); i++ {
		if pushed[i].Dialled < pushed[i-1].Dialled {
			t.Errorf("pushed progress went back: %+v after %+v", pushed[i], pushed[i-1])
		}
	}
	holidayPushed := false
	for _, pr := range pushed {
		holidayPushed = holidayPushed || (pr.State == campaign.StateRunning && strings.Contains(pr.Blocked, "holiday") && pr.Dialled == 0)
	}
	if n := len(pushed); n < 10 || !holidayPushed || pushed[n-1].State != campaign.StateDone || pushed[n-1].Reached != 48 {
		t.Errorf("%d progress events pushed (the holiday's among them: %v); last %+v", n, holidayPushed, pushed[max(n-1, 0)])
	} else {
		t.Logf("%d progress events pushed, through the holiday to done", n)
	}
	if pr.Total != 50 || pr.Reached != 48 || pr.Skipped != 1 || pr.Failed != 1 || pr.Remaining != 0 || pr.Dialled != 48+3 {
		t.Errorf("progress %+v; want 48 reached, the busy number failed after 3 attempts, the do-not-call one skipped", pr)
	}

	o.do(t, "GET", base+"/targets?limit=500", sup, nil, &targets)
	var attempts struct{ Items []campaign.Attempt }
	for _, tg := range targets.Items {
		switch tg.Phone {
		case "139****0021":
			o.do(t, "GET", base+"/attempts?target="+strconv.FormatInt(tg.ID, 10), sup, nil, &attempts)
			if tg.State != campaign.TargetSkipped || tg.Disposition != "dnc" || len(attempts.Items) != 0 {
				t.Errorf("the do-not-call number: %+v, %d attempts", tg, len(attempts.Items))
			}
		case "139****0013":
			o.do(t, "GET", base+"/attempts?target="+strconv.FormatInt(tg.ID, 10), sup, nil, &attempts)
			if tg.State != campaign.TargetFailed || tg.Attempts != 3 || len(attempts.Items) != 3 {
				t.Fatalf("the busy number: %+v, %d attempts", tg, len(attempts.Items))
			}
			for i, at := range attempts.Items {
				if at.Disposition != campaign.DispBusy || at.CDRDisposition != "busy" || at.ContactID == 0 {
					t.Errorf("busy attempt %d: %+v", i, at)
				}
				if i > 0 {
					gap := time.Duration(at.StartedAt-attempts.Items[i-1].EndedAt) * time.Millisecond
					t.Logf("busy number retried %v after its attempt %d ended", gap, i)
					if gap < 2*time.Second {
						t.Errorf("attempt %d came %v after the last, spacing is 2 s", i+1, gap)
					}
				}
			}
		}
	}
	o.do(t, "GET", base+"/attempts", sup, nil, &attempts)
	linked := 0
	for _, at := range attempts.Items {
		if at.CallID == "" || at.ContactID == 0 {
			t.Errorf("attempt without its call and contact record: %+v", at)
			continue
		}
		var ct oa.Contact
		o.do(t, "GET", "/api/v1/contacts/"+strconv.FormatInt(at.ContactID, 10), sup, nil, &ct)
		if ct.CDRID == at.CallID && ct.Direction == "outbound" && ct.Callee != "" && !strings.Contains(ct.Callee, "00000") {
			linked++
		}
	}
	mine := map[string]bool{}
	for _, at := range attempts.Items {
		if at.Agent == "a1003" {
			mine[at.CallID] = true
		}
	}
	popMu.Lock()
	shown := 0
	for _, p := range pops {
		if mine[p.Call] && p.Fields["campaign"] == "满意度外呼" && strings.HasPrefix(p.Fields["phone"], "139****") && strings.HasPrefix(p.Fields["name"], "市民") {
			shown++
		}
	}
	popMu.Unlock()
	t.Logf("a1003 made %d campaign calls and was shown %d cards", len(mine), shown)
	if len(mine) == 0 || shown != len(mine) {
		t.Errorf("a1003 made %d campaign calls, was shown %d cards of them (%d pops)", len(mine), shown, len(pops))
	}
	recorded := 0
	eventually(t, 15*time.Second, "the answered attempts' recordings", func() bool {
		o.do(t, "GET", base+"/attempts", sup, nil, &attempts)
		recorded = 0
		for _, at := range attempts.Items {
			if at.RecordingID != "" {
				recorded++
			}
		}
		return recorded >= 48
	})
	t.Logf("%d of %d attempts link their recording", recorded, len(attempts.Items))
	if linked != len(attempts.Items) {
		t.Errorf("%d of %d attempts' contact records carry their CDR, outbound, the number masked", linked, len(attempts.Items))
	}
	busyCDRs := 0
	for _, cdr := range p.CDRs(t, 51) {
		if cdr.Callee == dncNumber {
			t.Errorf("the do-not-call number was dialled: %+v", cdr)
		}
		if cdr.Callee == busyNumber && cdr.Trunk == "carrier" && cdr.Disposition == "busy" {
			busyCDRs++
		}
	}
	if busyCDRs != 3 {
		t.Errorf("the PBX wrote %d busy CDRs through the carrier for the busy number, want 3", busyCDRs)
	}
	// Every supervisor's action on the campaign is in the audit chain,
	// no number in full.
	var rows []struct{ Action, Actor, Outcome, Target, Detail string }
	o.do(t, "GET", "/api/v1/audit?limit=500", o.login(t, "auditor"), nil, &rows)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.Action+"/"+r.Outcome]++
		if strings.Contains(r.Target+r.Detail, "1390000") {
			t.Errorf("a number in full in the audit log: %+v", r)
		}
	}
	for _, want := range []string{"oa.campaign.create/ok", "oa.campaign.import/ok", "oa.campaign.start/ok", "oa.campaign.control/ok", "oa.dnc.add/ok"} {
		if seen[want] == 0 {
			t.Errorf("no %s in the audit log (%v)", want, seen)
		}
	}

	// 回访 through a preview campaign: a resolved ticket's customer (a
	// carrier number), the supervisor's phone a1002; "dissatisfied"
	// reopens the ticket (重办).
	visitDissatisfiedReopens(t, o, p, sup)
	res, _ := carrier.Stop()
	if res != nil {
		if strings.Contains(res.Messages, "INVITE sip:"+dncNumber) {
			t.Error("the carrier saw an INVITE for the do-not-call number")
		}
		// The campaign's caller ID, one of the tenant's DIDs, rather than
		// the tenant's default, which the 回访 campaign (none set) presents.
		own, def := strings.Count(res.Messages, "From: <sip:01058001000@"), strings.Count(res.Messages, "From: <sip:01058001001@")
		t.Logf("the carrier's trace: %d messages from the campaign's caller ID, %d from the tenant's", own, def)
		if own == 0 {
			t.Error("the carrier never saw the campaign's caller ID")
		}

	}
}

func visitDissatisfiedReopens(t *testing.T, o *oaProc, p *testpbx.PBX, sup string) {
	t.Helper()
	var cust oa.Customer
	o.do(t, "POST", "/api/v1/customers", sup, map[string]any{"name": "钱七", "phones": []map[string]string{{"number": "13900000077"}}}, &cust)
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", sup, nil, &cats)
	var deps struct{ Items []oa.Department }
	o.do(t, "GET", "/api/v1/departments", sup, nil, &deps)
	var tk oa.Ticket
	o.do(t, "POST", "/api/v1/tickets", sup, map[string]any{"title": "站点设备故障", "category_id": cats.Items[0].ID, "customer_id": cust.ID}, &tk)
	tpath := "/api/v1/tickets/" + strconv.FormatInt(tk.ID, 10)
	for _, step := range []map[string]any{{"action": "dispatch", "department_id": deps.Items[0].ID}, {"action": "sign"}, {"action": "resolve", "comment": "已更换设备"}} {
		if code := o.do(t, "POST", tpath+"/transitions", sup, step, nil); code != 200 {
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
	var c campaign.Campaign
	if code := o.do(t, "POST", "/api/v1/campaigns", sup, map[string]any{"name": "工单回访", "purpose": "visit", "mode": "preview"}, &c); code != 201 {
		t.Fatalf("create: %d", code)
	}
	base := "/api/v1/campaigns/" + strconv.FormatInt(c.ID, 10)
	var rep campaign.Report
	o.do(t, "POST", base+"/targets", sup, []map[string]any{{"phone": "13900000077", "name": "钱七", "customer_id": cust.ID, "ticket_id": tk.ID}}, &rep)
	if rep.Accepted != 1 {
		t.Fatalf("visit list: %+v", rep)
	}
	o.do(t, "POST", base+"/control", sup, map[string]string{"action": "start"}, nil)
	var card campaign.Card
	if code := o.do(t, "POST", base+"/next", sup, nil, &card); code != 200 || card.Ticket == nil || card.Ticket.ID != tk.ID || card.Target.Phone != "139****0077" {
		t.Fatalf("preview card: %d %+v", code, card)
	}
	var at campaign.Attempt
	if code := o.do(t, "POST", base+"/targets/"+strconv.FormatInt(card.Target.ID, 10)+"/dial", sup, nil, &at); code != 200 || at.CallID == "" {
		t.Fatalf("preview dial: %d %+v", code, at)
	}
	var target campaign.Target
	eventually(t, 15*time.Second, "the 回访 call reached", func() bool {
		var l struct{ Items []campaign.Target }
		o.do(t, "GET", base+"/targets", sup, nil, &l)
		target = l.Items[0]
		return target.Disposition == campaign.DispReached
	})
	dpath := base + "/attempts/" + strconv.FormatInt(at.ID, 10) + "/disposition"
	if code := o.do(t, "POST", dpath, o.login(t, "agent1001"), map[string]string{"disposition": "refused"}, nil); code != 403 {
		t.Errorf("another user set the supervisor's attempt's disposition: %d", code)
	}
	var noted campaign.Attempt
	if code := o.do(t, "POST", dpath, sup, map[string]string{"disposition": "reached", "comment": "本人接听"}, &noted); code != 200 ||
		noted.Comment != "本人接听" || noted.RecordingID == "" && noted.ContactID == 0 {
		t.Errorf("the disposition: %d %+v", code, noted)
	}
	var after oa.Ticket
	if code := o.do(t, "POST", base+"/targets/"+strconv.FormatInt(target.ID, 10)+"/visit", sup, map[string]string{"result": "dissatisfied", "comment": "设备仍不稳定"}, &after); code != 200 {
		t.Fatalf("visit result: %d", code)
	}
	var detail struct {
		oa.Ticket
		Events []oa.TicketEvent
	}
	o.do(t, "GET", tpath, sup, nil, &detail)
	n := len(detail.Events)
	if after.State != oa.StateHandling || detail.State != oa.StateHandling || n < 2 || detail.Events[n-2].Action != oa.ActVisit || detail.Events[n-1].Action != oa.ActReopen {
		t.Errorf("after a dissatisfied 回访 the ticket is %s; last events %+v", detail.State, detail.Events[max(0, n-2):])
	}
}
