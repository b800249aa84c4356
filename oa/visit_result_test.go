package oa

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// A 回访's result moves the ticket as its category says: satisfied and
// basically satisfied archive it, dissatisfied reopens it (重办) unless the
// category archives anyway; a ticket not 办结 takes no result.
func TestVisitResultFollowsTheCategory(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		wf             Workflow
		result, state  string
		score          int
		lastTwoActions [2]string
	}{
		{Workflow{}, ResultSatisfied, StateArchived, 5, [2]string{ActVisit, ActArchive}},
		{Workflow{}, ResultBasically, StateArchived, 4, [2]string{ActVisit, ActArchive}},
		{Workflow{}, ResultDissatisfied, StateHandling, 0, [2]string{ActVisit, ActReopen}},
		{Workflow{VisitDissatisfied: VisitArchive}, ResultDissatisfied, StateArchived, 2, [2]string{ActVisit, ActArchive}},
	} {
		w := newTicketWorld(t, c.wf)
		if _, err := w.svc.VisitResult(ctx, "demo", w.desk, w.ticket.ID, c.result, ""); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("a result before 办结: %v", err)
		}
		w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
		w.do(t, w.worker, TransitionInput{Action: ActSign})
		w.clk.t = w.clk.t.Add(time.Hour)
		w.do(t, w.worker, TransitionInput{Action: ActResolve, Comment: "已更换打印机"})
		tk, err := w.svc.VisitResult(ctx, "demo", w.desk, w.ticket.ID, c.result, "电话回访")
		if err != nil {
			t.Fatalf("%v %s: %v", c.wf, c.result, err)
		}
		score := 0
		if tk.Satisfaction != nil {
			score = *tk.Satisfaction
		}
		evs, _ := w.svc.TicketEvents(ctx, "demo", tk.ID)
		n := len(evs)
		if tk.State != c.state || score != c.score || evs[n-2].Action != c.lastTwoActions[0] || evs[n-1].Action != c.lastTwoActions[1] {
			t.Errorf("%v %s: %s, satisfaction %d, last %s/%s", c.wf, c.result, tk.State, score, evs[n-2].Action, evs[n-1].Action)
		}
		if _, err := w.svc.VisitResult(ctx, "demo", w.desk, w.ticket.ID, "great", ""); err == nil {
			t.Error("an unknown result was taken")
		}
	}
	w := newTicketWorld(t, Workflow{})
	if _, err := w.svc.PutCategory(ctx, "demo", Category{ID: w.cat.ID, Name: w.cat.Name, Workflow: Workflow{VisitDissatisfied: "ignore"}}); err == nil {
		t.Error("a category took visit_dissatisfied \"ignore\"")
	}
}
