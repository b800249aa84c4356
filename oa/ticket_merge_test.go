package oa

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

// A supervisor merges a duplicate report into the ticket kept: the
// duplicate is archived and points at it, its clock stops, its followers
// and related tickets move over, both timelines say so and its handler is
// told. Nobody else may merge; nothing merges twice or into a closed ticket.
func TestMergeDuplicateTicket(t *testing.T) {
	ctx := context.Background()
	w := newTicketWorld(t, Workflow{})
	keep := w.ticket
	dup, err := w.svc.CreateTicket(ctx, "demo", "u-desk2", TicketInput{Title: "同一网点再次报修", CategoryID: w.cat.ID, OutletNo: "11010001"})
	if err != nil {
		t.Fatal(err)
	}
	third, err := w.svc.CreateTicket(ctx, "demo", "u-desk", TicketInput{Title: "相关：网点线路", CategoryID: w.cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []TransitionInput{{Action: ActDispatch, DepartmentID: w.dep}, {Action: ActSign}} {
		who := w.worker
		if in.Action == ActDispatch {
			who = w.desk
		}
		if _, err := w.svc.Transition(ctx, "demo", who, dup.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.svc.Watch(ctx, "demo", Actor{UserID: "u-watcher"}, dup.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Link(ctx, "demo", dup.ID, third.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := w.svc.MergeTicket(ctx, "demo", w.worker, dup.ID, keep.ID, ""); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("a handler merged: %v", err)
	}
	var fe FieldErrors
	if _, err := w.svc.MergeTicket(ctx, "demo", w.boss, dup.ID, dup.ID, ""); !errors.As(err, &fe) || fe["into"] == "" {
		t.Errorf("merged into itself: %v", err)
	}
	if _, err := w.svc.MergeTicket(ctx, "demo", w.boss, dup.ID, 99999, ""); !errors.As(err, &fe) || fe["into"] == "" {
		t.Errorf("merged into no ticket: %v", err)
	}
	if d, _ := w.svc.Ticket(ctx, "demo", dup.ID); !d.Open || d.MergedInto != 0 {
		t.Fatalf("a refused merge changed the duplicate: %+v", d)
	}

	got, err := w.svc.MergeTicket(ctx, "demo", w.boss, dup.ID, keep.ID, "同一故障重复来电")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != keep.ID || !got.Open {
		t.Errorf("merge returned %+v, want the kept ticket, open", got)
	}
	d, _ := w.svc.Ticket(ctx, "demo", dup.ID)
	if d.Open || d.State != StateArchived || d.MergedInto != keep.ID || d.ClosedAt == 0 || d.SLA.DueAt != 0 || d.SLA.Step != "" {
		t.Errorf("duplicate after the merge: %+v", d)
	}
	if rel, _ := w.svc.Related(ctx, "demo", keep.ID); !slices.Equal(rel, []int64{dup.ID, third.ID}) {
		t.Errorf("kept ticket related to %v, want [%d %d]", rel, dup.ID, third.ID)
	}
	if rel, _ := w.svc.Related(ctx, "demo", third.ID); !slices.Contains(rel, keep.ID) {
		t.Errorf("the third ticket is not related to the kept one: %v", rel)
	}
	for _, u := range []string{"u-watcher", "u-desk2", "u-worker"} {
		list, _, err := w.svc.FindTickets(ctx, "demo", Actor{UserID: u}, TicketQuery{View: ViewWatched})
		if err != nil || !slices.ContainsFunc(list, func(x Ticket) bool { return x.ID == keep.ID }) {
			t.Errorf("%s does not follow the kept ticket (%v)", u, err)
		}
	}
	last := func(id int64) TicketEvent {
		evs, _ := w.svc.TicketEvents(ctx, "demo", id)
		return evs[len(evs)-1]
	}
	if e := last(dup.ID); e.Action != "merge" || e.To != StateArchived || e.Actor != "u-boss" || e.Detail["into"] != float64(keep.ID) {
		t.Errorf("duplicate's last event %+v", e)
	}
	if e := last(keep.ID); e.Action != "merged" || e.Detail["from"] != float64(dup.ID) || e.Comment != "同一故障重复来电" {
		t.Errorf("kept ticket's last event %+v", e)
	}
	notes, _ := w.svc.Notifications(ctx, "demo", "u-worker", 10)
	if len(notes) == 0 || notes[0].Kind != "merge" {
		t.Errorf("the duplicate's handler was not told: %+v", notes)
	}

	if _, err := w.svc.MergeTicket(ctx, "demo", w.boss, dup.ID, keep.ID, ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("merged twice: %v", err)
	}
	if _, err := w.svc.MergeTicket(ctx, "demo", w.boss, third.ID, dup.ID, ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("merged into a closed ticket: %v", err)
	}
}
