package oa

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// amendedCalendar is configs/calendars with one more day off: Wed
// 2026-03-11 (a correction the tests make up).
func amendedCalendar(t *testing.T) *calendar.Calendar {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"cn-2025.yaml", "cn-2026.yaml"} {
		b, err := os.ReadFile("../configs/calendars/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if name == "cn-2026.yaml" {
			s = strings.Replace(s, "holidays:\n", "holidays:\n  - name: 调整\n    from: 2026-03-11\n    to: 2026-03-11\n", 1)
		}
		fsys["calendars/"+name] = &fstest.MapFile{Data: []byte(s)}
	}
	cal, err := calendar.Load(fsys, "calendars")
	if err != nil {
		t.Fatal(err)
	}
	if _, off := cal.IsHoliday(time.Date(2026, 3, 11, 12, 0, 0, 0, cal.Location())); !off {
		t.Fatal("the amended calendar does not have 03-11 off")
	}
	return cal
}

// A calendar that changes moves running deadlines by the days whose status
// changed ahead of them, and only those; what was spent stays spent. Values
// worked by hand on 09:00–17:30 (8.5 h a day).
func TestNewCalendarMovesRunningDeadlines(t *testing.T) {
	ctx := context.Background()
	w := newTicketWorld(t, Workflow{})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(d, h, m int) int64 { return time.Date(2026, 3, d, h, m, 0, 0, sh).UnixMilli() }

	// Mon 03-09 10:00 dispatched and signed: 办理 within 2wd (17 h): Mon
	// 7.5 h, Tue 8.5 h, Wed 09:00 + 1 h → due Wed 03-11 10:00; warning at
	// 80 % (13.6 h): Tue 09:00 + 6.1 h → Tue 15:06.
	w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	tk := w.do(t, w.worker, TransitionInput{Action: ActSign})
	if tk.SLA.DueAt != at(11, 10, 0) || tk.SLA.WarnAt != at(10, 15, 6) {
		t.Fatalf("signed: due %v warn %v", time.UnixMilli(tk.SLA.DueAt), time.UnixMilli(tk.SLA.WarnAt))
	}
	// A second ticket, paused by a 延期 request: its clock keeps business
	// time, not a date, and is not touched.
	paused, err := w.svc.CreateTicket(ctx, "demo", "u-desk", TicketInput{Title: "另一台终端", CategoryID: w.cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []TransitionInput{{Action: ActDispatch, DepartmentID: w.dep}, {Action: ActSign}, {Action: ActExtend, Extra: "1wd", Comment: "等配件"}} {
		who := w.worker
		if in.Action == ActDispatch {
			who = w.desk
		}
		if _, err := w.svc.Transition(ctx, "demo", who, paused.ID, in); err != nil {
			t.Fatal(err)
		}
	}

	// Mon 15:00 (5 h spent) Wed 03-11 becomes a day off. Left were 12 h
	// (Mon 2.5, Tue 8.5, Wed 1): Mon 2.5, Tue 8.5, Wed off, Thu 09:00 + 1 h
	// → Thu 03-12 10:00. The warning (Tue 15:06) is before the new day off
	// and stays.
	w.clk.t = time.Date(2026, 3, 9, 15, 0, 0, 0, sh)
	r, err := w.svc.SetCalendar(ctx, "u-sys", amendedCalendar(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Checked != 1 || r.Moved != 1 {
		t.Errorf("recomputed %+v, want the one running clock checked and moved", r)
	}
	tk, _ = w.svc.Ticket(ctx, "demo", w.ticket.ID)
	if tk.SLA.DueAt != at(12, 10, 0) || tk.SLA.WarnAt != at(10, 15, 6) {
		t.Errorf("after the change: due %v warn %v, want Thu 03-12 10:00 and Tue 15:06", time.UnixMilli(tk.SLA.DueAt), time.UnixMilli(tk.SLA.WarnAt))
	}
	evs, _ := w.svc.TicketEvents(ctx, "demo", tk.ID)
	last := evs[len(evs)-1]
	if last.Action != "sla.recomputed" || last.Actor != "u-sys" || last.Detail["old_due_at"] != float64(at(11, 10, 0)) || last.Detail["due_at"] != float64(at(12, 10, 0)) {
		t.Errorf("last event %+v", last)
	}
	if p, _ := w.svc.Ticket(ctx, "demo", paused.ID); !p.SLA.Paused || p.SLA.DueAt != 0 {
		t.Errorf("the paused clock changed: %+v", p.SLA)
	}

	// The same calendar again moves nothing; going back moves it back.
	if r, err := w.svc.SetCalendar(ctx, "u-sys", amendedCalendar(t)); err != nil || r.Moved != 0 {
		t.Errorf("same calendar again: %+v %v", r, err)
	}
	if _, err := w.svc.SetCalendar(ctx, "u-sys", cnCalendar(t)); err != nil {
		t.Fatal(err)
	}
	if tk, _ = w.svc.Ticket(ctx, "demo", w.ticket.ID); tk.SLA.DueAt != at(11, 10, 0) {
		t.Errorf("back on the old calendar: due %v, want Wed 03-11 10:00", time.UnixMilli(tk.SLA.DueAt))
	}

	// A deadline already passed is history: Thu 03-12 12:00, past the
	// 10:00 deadline, the amendment moves nothing of it.
	w.clk.t = time.Date(2026, 3, 12, 12, 0, 0, 0, sh)
	if r, err := w.svc.SetCalendar(ctx, "u-sys", amendedCalendar(t)); err != nil || r.Moved != 0 {
		t.Errorf("past deadline: %+v %v", r, err)
	}
}

// The watcher puts a changed calendar in force (its fingerprint differs)
// and keeps the one in force when the changed files do not load.
func TestWatchCalendarFollowsTheFiles(t *testing.T) {
	w := newTicketWorld(t, Workflow{})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	w.do(t, w.desk, TransitionInput{Action: ActDispatch, DepartmentID: w.dep})
	w.do(t, w.worker, TransitionInput{Action: ActSign}) // due Wed 03-11 10:00
	amended := amendedCalendar(t)
	type answer struct {
		cal *calendar.Calendar
		sum string
		err error
	}
	answers := make(chan answer, 4)
	answers <- answer{cnCalendar(t), "a", nil} // at start: in force already
	answers <- answer{nil, "", os.ErrNotExist} // a broken edit: kept
	answers <- answer{amended, "b", nil}       // the correction
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.svc.WatchCalendar(ctx, 5*time.Millisecond, func() (*calendar.Calendar, string, error) {
			select {
			case a := <-answers:
				return a.cal, a.sum, a.err
			default:
				return amended, "b", nil
			}
		})
	}()
	want := time.Date(2026, 3, 12, 10, 0, 0, 0, sh).UnixMilli()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tk, _ := w.svc.Ticket(context.Background(), "demo", w.ticket.ID)
		if tk.SLA.DueAt == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("due %v; the watcher did not put the amended calendar in force", time.UnixMilli(tk.SLA.DueAt))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if w.svc.businessCalendar() != amended {
		t.Error("the calendar in force is not the amended one")
	}
	cancel()
	<-done
}
