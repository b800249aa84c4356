package report

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/yimen/yimen/oa"
)

// TestTicketHandlingRates: three tickets handled by 维修部 on Monday
// 2026-03-02 (sign within 2 h, handle within 1 h), rates by hand.
//
//	T1 dispatched 12:00, signed 12:30 (in time), breach of handling at
//	   13:45, resolved 14:00 (late), visited: satisfaction 5
//	T2 dispatched 12:00, breach of signing at 14:30, signed 14:40 (late),
//	   returned 14:50
//	T3 dispatched 12:00, signed 12:30, resolved 12:50 (in time), visited:
//	   satisfaction 3, reopened
func TestTicketHandlingRates(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.now = at("12:00:00")
	dep, err := f.oa.CreateDepartment(ctx, tenant, 0, "维修部")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := f.oa.PutCategory(ctx, tenant, oa.Category{Name: "网点报修", SLA: oa.SLAPolicy{Sign: "2h", Handle: "1h", Visit: "1wd"}})
	if err != nil {
		t.Fatal(err)
	}
	desk, worker := oa.Actor{UserID: "desk"}, oa.Actor{UserID: "w", Department: dep.ID}
	var tk [3]oa.Ticket
	for i := range tk {
		if tk[i], err = f.oa.CreateTicket(ctx, tenant, "desk", oa.TicketInput{Title: "终端故障", CategoryID: cat.ID}); err != nil {
			t.Fatal(err)
		}
	}
	do := func(i int, who oa.Actor, in oa.TransitionInput) {
		t.Helper()
		if in.Comment == "" {
			in.Comment = "ok"
		}
		if _, err := f.oa.Transition(ctx, tenant, who, tk[i].ID, in); err != nil {
			t.Fatalf("T%d %s: %v", i+1, in.Action, err)
		}
	}
	clock := func(hms string) {
		f.now = at(hms)
		if _, err := f.oa.CheckSLA(ctx, f.now); err != nil {
			t.Fatal(err)
		}
	}
	for i := range tk {
		do(i, desk, oa.TransitionInput{Action: oa.ActDispatch, DepartmentID: dep.ID})
	}
	clock("12:30:00")
	do(0, worker, oa.TransitionInput{Action: oa.ActSign})
	do(2, worker, oa.TransitionInput{Action: oa.ActSign})
	clock("12:50:00")
	do(2, worker, oa.TransitionInput{Action: oa.ActResolve})
	do(2, desk, oa.TransitionInput{Action: oa.ActVisit, Satisfaction: 3})
	clock("13:45:00") // T1's handling limit (13:30) has passed
	clock("14:00:00")
	do(0, worker, oa.TransitionInput{Action: oa.ActResolve})
	do(0, desk, oa.TransitionInput{Action: oa.ActVisit, Satisfaction: 5})
	clock("14:30:00") // T2's signing limit (14:00) has passed
	clock("14:40:00")
	do(1, worker, oa.TransitionInput{Action: oa.ActSign})
	clock("14:50:00")
	do(1, worker, oa.TransitionInput{Action: oa.ActReturn})
	do(2, desk, oa.TransitionInput{Action: oa.ActReopen})

	r := Range{From: at("00:00:00"), To: at("23:59:59")}
	tb, err := f.rpt.TicketHandling(ctx, tenant, TicketQuery{Range: r, By: "department"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 1 || tb.Rows[0]["key"] != "维修部" || tb.Rows[0]["id"] != strconv.FormatInt(dep.ID, 10) {
		t.Fatalf("rows %v", tb.Rows)
	}
	row := tb.Rows[0]
	for k, want := range map[string]float64{"dispatched": 3, "signed": 3, "sign_on_time_rate": 0.6667, "resolved": 2, "resolve_on_time_rate": 0.5,
		"returned": 1, "return_rate": 0.3333, "reopened": 1, "reopen_rate": 0.5, "visited": 2, "satisfaction": 4, "satisfied_rate": 0.5} {
		if got := num(t, row, k); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	// Folding again (the job's next beat) counts nothing twice.
	if n, err := f.rpt.FoldTickets(ctx); err != nil || n != 0 {
		t.Errorf("second fold: %d %v", n, err)
	}
	tb, _ = f.rpt.Tickets(ctx, tenant, TicketQuery{Range: r, By: "category"}, func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") })
	if len(tb.Rows) != 1 || num(t, tb.Rows[0], "created") != 3 || num(t, tb.Rows[0], "resolved") != 2 || tb.Rows[0]["key"] != "网点报修" ||
		tb.Rows[0]["id"] != strconv.FormatInt(cat.ID, 10) {
		t.Errorf("by category: %v", tb.Rows)
	}
	tb, _ = f.rpt.Tickets(ctx, tenant, TicketQuery{Range: r, By: "status"}, nil)
	states := map[string]int64{}
	for _, row := range tb.Rows {
		states[row["key"].(string)] = row["count"].(int64)
	}
	if states[oa.StateReturned] != 1 || states[oa.StateVisited] != 1 || states[oa.StateHandling] != 1 {
		t.Errorf("by status: %v", states)
	}
}
