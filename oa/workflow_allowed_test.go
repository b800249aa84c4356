package oa

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

// The actions a form offers are those Transition accepts: written out by
// hand per state and actor, and each offered one tried for real.
func TestAllowedActionsFollowStateWorkflowAndRights(t *testing.T) {
	w := newTicketWorld(t, Workflow{})
	stranger := Actor{UserID: "u-stranger", Department: w.other}
	check := func(step string, want map[*Actor][]string) {
		t.Helper()
		tk, err := w.svc.Ticket(context.Background(), "demo", w.ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		for who, list := range want {
			if got := Allowed(tk, w.cat.Workflow, *who); !slices.Equal(got, list) {
				t.Errorf("%s, %s: %v, want %v", step, who.UserID, got, list)
			}
		}
	}
	check("accepted", map[*Actor][]string{
		&w.desk: {ActComment, ActDispatch},
		&w.boss: {ActComment, ActDispatch, ActSupervise},
	})
	w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	check("dispatched", map[*Actor][]string{
		&w.desk:   {ActComment},
		&stranger: {ActComment},
		&w.worker: {ActComment, ActExtend, ActReturn, ActSign, ActTransfer},
		&w.boss:   {ActComment, ActExtend, ActReturn, ActSign, ActSupervise, ActTransfer},
	})
	// What is not offered is refused.
	if _, err := w.svc.Transition(context.Background(), "demo", stranger, w.ticket.ID, TransitionInput{Action: ActSign}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("stranger signs: %v", err)
	}
	w.do(t, w.worker, TransitionInput{Action: ActSign})
	w.do(t, w.worker, TransitionInput{Action: ActExtend, Extra: "4h", Comment: "等配件"})
	check("extension asked", map[*Actor][]string{
		&w.worker: {ActComment, ActHandle, ActResolve, ActReturn, ActTransfer},
		&w.boss:   {ActComment, ActExtendApprove, ActExtendReject, ActHandle, ActResolve, ActReturn, ActSupervise, ActTransfer},
	})
	w.do(t, w.boss, TransitionInput{Action: ActExtendApprove})
	w.do(t, w.worker, TransitionInput{Action: ActResolve, Comment: "已更换"})
	// 回访 is due: archiving before it is not offered (and refused).
	check("resolved", map[*Actor][]string{
		&w.desk: {ActComment, ActReopen, ActVisit},
		&w.boss: {ActComment, ActReopen, ActSupervise, ActVisit},
	})
	if _, err := w.svc.Transition(context.Background(), "demo", w.boss, w.ticket.ID, TransitionInput{Action: ActArchive}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("archive before the visit: %v", err)
	}
	w.do(t, w.desk, TransitionInput{Action: ActVisit, Satisfaction: 5})
	check("visited", map[*Actor][]string{
		&w.desk: {ActComment, ActReopen},
		&w.boss: {ActArchive, ActComment, ActReopen, ActSupervise},
	})
	w.do(t, w.boss, TransitionInput{Action: ActArchive})
	check("archived", map[*Actor][]string{&w.boss: {ActComment}})

	// A category without 回访 offers archiving a resolved ticket, not a visit.
	s := newTicketWorld(t, Workflow{SkipSign: true, SkipVisit: true})
	s.do(t, s.desk, TransitionInput{Action: ActDispatch, DepartmentID: s.dep})
	tk := s.do(t, s.worker, TransitionInput{Action: ActResolve, Comment: "ok"})
	if got := Allowed(tk, s.cat.Workflow, s.boss); !slices.Equal(got, []string{ActArchive, ActComment, ActReopen, ActSupervise}) {
		t.Errorf("resolved without visits: %v", got)
	}
}
