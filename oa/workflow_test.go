package oa

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

type ticketWorld struct {
	*fixture
	dep, other   int64
	cat          Category
	desk, worker Actor
	boss         Actor
	ticket       Ticket
}

func newTicketWorld(t *testing.T, wf Workflow) *ticketWorld {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	w := &ticketWorld{fixture: f}
	d, err := f.svc.CreateDepartment(ctx, "demo", 0, "维修部")
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.CreateDepartment(ctx, "demo", 0, "市场部")
	if err != nil {
		t.Fatal(err)
	}
	w.dep, w.other = d.ID, o.ID
	if err := f.svc.PutStaff(ctx, "demo", Staff{UserID: "u-worker", Name: "worker", DepartmentID: d.ID}); err != nil {
		t.Fatal(err)
	}
	w.cat, err = f.svc.PutCategory(ctx, "demo", Category{Name: "网点报修", Workflow: wf,
		SLA: SLAPolicy{Sign: "2h", Handle: "2wd", Visit: "1wd", EscalateAfter: "1h"}})
	if err != nil {
		t.Fatal(err)
	}
	w.desk, w.worker, w.boss = Actor{UserID: "u-desk"}, Actor{UserID: "u-worker", Department: d.ID}, Actor{UserID: "u-boss", Supervisor: true}
	w.ticket, err = f.svc.CreateTicket(ctx, "demo", "u-desk", TicketInput{Title: "终端无法出票", CategoryID: w.cat.ID, OutletNo: "11010001", Device: "T-100", Fault: "打印机卡纸"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *ticketWorld) do(t *testing.T, who Actor, in TransitionInput) Ticket {
	t.Helper()
	tk, err := w.svc.Transition(context.Background(), "demo", who, w.ticket.ID, in)
	if err != nil {
		t.Fatalf("%s: %v", in.Action, err)
	}
	return tk
}

func TestTicketLifecycleWithSLAClocks(t *testing.T) {
	ctx := context.Background()
	w := newTicketWorld(t, Workflow{})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(d, h, m int) int64 { return time.Date(2026, 3, d, h, m, 0, 0, sh).UnixMilli() }
	if w.ticket.State != StateAccepted || w.ticket.SLA.DueAt != 0 {
		t.Fatalf("new ticket %+v", w.ticket)
	}
	// Mon 03-09 10:00: dispatched, sign within 2 h → 12:00.
	tk := w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	if tk.State != StateDispatched || tk.SLA.Step != StepSign || tk.SLA.DueAt != at(9, 12, 0) {
		t.Fatalf("dispatched: %s step %s due %v", tk.State, tk.SLA.Step, time.UnixMilli(tk.SLA.DueAt))
	}
	// Somebody outside the department cannot sign.
	if _, err := w.svc.Transition(ctx, "demo", Actor{UserID: "u-stranger", Department: w.other}, tk.ID, TransitionInput{Action: ActSign}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("stranger signs: %v", err)
	}
	// Signed at 11:00: handling within 2 workdays (17 h) → Wed 03-11 11:00.
	w.clk.t = time.Date(2026, 3, 9, 11, 0, 0, 0, sh)
	tk = w.do(t, w.worker, TransitionInput{Action: ActSign})
	if tk.State != StateSigned || tk.Assignee != "u-worker" || tk.SLA.Step != StepHandle || tk.SLA.DueAt != at(11, 11, 0) {
		t.Fatalf("signed: %+v due %v", tk, time.UnixMilli(tk.SLA.DueAt))
	}
	// Tue 03-10 09:00 a 延期 of 1 workday is asked: the clock pauses with
	// 10.5 h left (Tue 8.5 h + Wed 09:00-11:00).
	w.clk.t = time.Date(2026, 3, 10, 9, 0, 0, 0, sh)
	tk = w.do(t, w.worker, TransitionInput{Action: ActExtend, Extra: "1wd", Comment: "等厂家配件"})
	if !tk.SLA.Paused || tk.SLA.RemainingMS != (10*time.Hour+30*time.Minute).Milliseconds() || !tk.ExtensionPending {
		t.Fatalf("paused: %+v", tk.SLA)
	}
	// Nothing warns or breaches while paused, however late it gets.
	if n, err := w.svc.CheckSLA(ctx, time.Date(2026, 3, 20, 9, 0, 0, 0, sh)); err != nil || n != 0 {
		t.Fatalf("paused clock moved: %d %v", n, err)
	}
	// The worker cannot approve their own extension.
	if _, err := w.svc.Transition(ctx, "demo", w.worker, tk.ID, TransitionInput{Action: ActExtendApprove}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("worker approves: %v", err)
	}
	// Approved Thu 03-12 09:00: 10.5 h + 8.5 h = 19 h from then:
	// Thu 8.5, Fri 8.5 (17), Mon 03-16 09:00 + 2 h = 11:00.
	w.clk.t = time.Date(2026, 3, 12, 9, 0, 0, 0, sh)
	tk = w.do(t, w.boss, TransitionInput{Action: ActExtendApprove})
	if tk.SLA.Paused || tk.ExtensionPending || tk.SLA.DueAt != at(16, 11, 0) {
		t.Fatalf("resumed: %+v due %v", tk.SLA, time.UnixMilli(tk.SLA.DueAt))
	}
	tk = w.do(t, w.worker, TransitionInput{Action: ActHandle, Comment: "已更换打印头"})
	if tk.State != StateHandling {
		t.Fatalf("handling: %s", tk.State)
	}
	// Resolved Fri 03-13 17:00: visit within 1 workday (8.5 h): 0.5 h on
	// Friday, Mon 03-16 09:00 + 8 h = 17:00.
	w.clk.t = time.Date(2026, 3, 13, 17, 0, 0, 0, sh)
	tk = w.do(t, w.worker, TransitionInput{Action: ActResolve, Comment: "修复完成"})
	if tk.State != StateResolved || tk.SLA.Step != StepVisit || tk.SLA.DueAt != at(16, 17, 0) {
		t.Fatalf("resolved: %+v due %v", tk.SLA, time.UnixMilli(tk.SLA.DueAt))
	}
	// Archiving before the return visit is refused.
	if _, err := w.svc.Transition(ctx, "demo", w.boss, tk.ID, TransitionInput{Action: ActArchive}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("archive before visit: %v", err)
	}
	if _, err := w.svc.Transition(ctx, "demo", w.desk, tk.ID, TransitionInput{Action: ActVisit, Satisfaction: 9}); err == nil {
		t.Error("satisfaction 9 accepted")
	}
	tk = w.do(t, w.desk, TransitionInput{Action: ActVisit, Satisfaction: 2, Comment: "不满意，仍偶发卡纸"})
	// 重办 from the visit: handling again, a fresh two-workday clock from
	// Mon 03-16 10:00 → Wed 03-18 10:00.
	w.clk.t = time.Date(2026, 3, 16, 10, 0, 0, 0, sh)
	tk = w.do(t, w.desk, TransitionInput{Action: ActReopen, Comment: "客户反映仍卡纸"})
	if tk.State != StateHandling || tk.SLA.Step != StepHandle || tk.SLA.DueAt != at(18, 10, 0) || tk.Satisfaction != nil {
		t.Fatalf("reopened: %+v", tk)
	}
	w.do(t, w.worker, TransitionInput{Action: ActResolve, Comment: "更换整机"})
	w.do(t, w.desk, TransitionInput{Action: ActVisit, Satisfaction: 5})
	tk = w.do(t, w.boss, TransitionInput{Action: ActArchive})
	if tk.State != StateArchived || tk.Open || tk.ClosedAt == 0 || tk.SLA.DueAt != 0 {
		t.Fatalf("archived: %+v", tk)
	}
	evs, err := w.svc.TicketEvents(ctx, "demo", tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action+":"+e.To)
	}
	want := []string{"create:accepted", "dispatch:dispatched", "sign:signed", "extend:signed", "extend_approve:signed", "handle:handling",
		"resolve:resolved", "visit:visited", "reopen:handling", "resolve:resolved", "visit:visited", "archive:archived"}
	if len(actions) != len(want) {
		t.Fatalf("timeline %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("timeline %v, want %v", actions, want)
		}
	}
	// The timeline is append-only: the database refuses to change it.
	if _, err := w.db.SQL().Exec(`UPDATE oa_ticket_events SET actor='x' WHERE ticket_id=?`, tk.ID); err == nil {
		t.Error("an event was changed")
	}
	if _, err := w.db.SQL().Exec(`DELETE FROM oa_ticket_events WHERE ticket_id=?`, tk.ID); err == nil {
		t.Error("an event was deleted")
	}
}

func TestIllegalTransitionsAreRefusedAndChangeNothing(t *testing.T) {
	ctx := context.Background()
	w := newTicketWorld(t, Workflow{})
	for _, tc := range []struct {
		who  Actor
		in   TransitionInput
		kind error
	}{
		{w.worker, TransitionInput{Action: ActSign}, errs.ErrConflict},                  // not dispatched yet
		{w.worker, TransitionInput{Action: ActResolve, Comment: "x"}, errs.ErrConflict}, // accepted
		{w.desk, TransitionInput{Action: ActVisit, Satisfaction: 5}, errs.ErrConflict},
		{w.boss, TransitionInput{Action: ActArchive}, errs.ErrConflict},
		{w.desk, TransitionInput{Action: ActReopen, Comment: "x"}, errs.ErrConflict},
		{w.desk, TransitionInput{Action: ActDispatch}, errs.ErrInvalid},                    // no department
		{w.desk, TransitionInput{Action: ActDispatch, DepartmentID: 999}, errs.ErrInvalid}, // unknown department
		{w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep, Assignee: "u-nobody"}, errs.ErrInvalid},
		{w.desk, TransitionInput{Action: "teleport"}, errs.ErrInvalid},
		{w.desk, TransitionInput{Action: ActSupervise, Comment: "快"}, errs.ErrForbidden}, // not a supervisor
		{w.boss, TransitionInput{Action: ActSupervise}, errs.ErrInvalid},                 // no comment
	} {
		if _, err := w.svc.Transition(ctx, "demo", tc.who, w.ticket.ID, tc.in); !errors.Is(err, tc.kind) {
			t.Errorf("%s by %s: %v, want %v", tc.in.Action, tc.who.UserID, err, tc.kind)
		}
	}
	w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	// 退单 needs a reason; with one it goes back to the desk, clock stopped.
	if _, err := w.svc.Transition(ctx, "demo", w.worker, w.ticket.ID, TransitionInput{Action: ActReturn}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("return without reason: %v", err)
	}
	if _, err := w.svc.Transition(ctx, "demo", w.worker, w.ticket.ID, TransitionInput{Action: ActTransfer, DepartmentID: w.dep, Comment: "x"}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("transfer to the same department: %v", err)
	}
	tk := w.do(t, w.worker, TransitionInput{Action: ActReturn, Comment: "非本部门职责"})
	if tk.State != StateReturned || tk.SLA.DueAt != 0 || tk.Assignee != "" {
		t.Fatalf("returned: %+v", tk)
	}
	n, _ := w.svc.Notifications(ctx, "demo", "u-desk", 10)
	if len(n) == 0 || n[0].Kind != "return" {
		t.Errorf("creator not told of the return: %+v", n)
	}
	// 转办 after re-dispatch moves it and restarts the sign clock.
	w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	tk = w.do(t, w.worker, TransitionInput{Action: ActTransfer, DepartmentID: w.other, Comment: "转市场部"})
	if tk.DepartmentID != w.other || tk.State != StateDispatched || tk.SLA.Step != StepSign {
		t.Fatalf("transferred: %+v", tk)
	}
	evs, _ := w.svc.TicketEvents(ctx, "demo", tk.ID)
	if len(evs) != 5 {
		t.Errorf("%d events after 5 accepted actions (refusals wrote some?): %+v", len(evs), evs)
	}
}

func TestSkippedStepsOfACategoryWorkflow(t *testing.T) {
	w := newTicketWorld(t, Workflow{SkipSign: true, SkipVisit: true})
	tk := w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	if tk.State != StateHandling || tk.SLA.Step != StepHandle {
		t.Fatalf("no sign step: %s %s", tk.State, tk.SLA.Step)
	}
	tk = w.do(t, w.worker, TransitionInput{Action: ActResolve, Comment: "ok"})
	if tk.SLA.Step != "" {
		t.Errorf("visit clock runs though visits are skipped: %+v", tk.SLA)
	}
	tk = w.do(t, w.boss, TransitionInput{Action: ActArchive})
	if tk.State != StateArchived {
		t.Fatalf("archive: %s", tk.State)
	}
}

func TestSLAWarnsBreachesAndEscalates(t *testing.T) {
	ctx := context.Background()
	w := newTicketWorld(t, Workflow{})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// Dispatched Mon 10:00, sign within 2 h: warns at 11:36 (80 %), breaches
	// at 12:00, escalates an hour of business time later, 13:00.
	w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	step := func(h, m int, want string) {
		t.Helper()
		if _, err := w.svc.CheckSLA(ctx, time.Date(2026, 3, 9, h, m, 0, 0, sh)); err != nil {
			t.Fatal(err)
		}
		tk, _ := w.svc.Ticket(ctx, "demo", w.ticket.ID)
		if tk.SLA.State != want {
			t.Fatalf("%02d:%02d: sla %q, want %q", h, m, tk.SLA.State, want)
		}
	}
	step(11, 35, SLAOK)
	step(11, 36, SLAWarning)
	step(11, 59, SLAWarning)
	step(12, 0, SLABreached)
	step(12, 59, SLABreached)
	step(13, 0, SLAEscalated)
	tk, _ := w.svc.Ticket(ctx, "demo", w.ticket.ID)
	if !tk.Supervised {
		t.Error("escalation did not mark the ticket supervised")
	}
	n, _ := w.svc.Notifications(ctx, "demo", "u-worker", 10)
	if len(n) < 4 { // dispatch, warning, breach, escalation
		t.Errorf("department member got %d notifications: %+v", len(n), n)
	}
}
