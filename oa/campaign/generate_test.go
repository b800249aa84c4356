package campaign

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/oa"
)

func TestGeneratedLists(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ts := protocol.Timestamp

	// Abandoned today: two callers (one twice, one anonymous), one
	// yesterday, one answered.
	yesterday := f.now.AddDate(0, 0, -1)
	for _, e := range []protocol.CallEnded{
		{Call: "c1", Queue: "q", Caller: "13800000001", Start: ts(f.now), End: ts(f.now), HangupSide: "caller", Disposition: "abandoned"},
		{Call: "c2", Queue: "q", Caller: "+8613800000001", Start: ts(f.now), End: ts(f.now), HangupSide: "caller", Disposition: "abandoned"},
		{Call: "c3", Queue: "q", Caller: "01065529988", Start: ts(f.now), End: ts(f.now), HangupSide: "caller", Disposition: "abandoned"},
		{Call: "c4", Queue: "q", Caller: "anonymous", Start: ts(f.now), End: ts(f.now), HangupSide: "caller", Disposition: "abandoned"},
		{Call: "c5", Queue: "q", Caller: "13800000005", Start: ts(yesterday), End: ts(yesterday), HangupSide: "caller", Disposition: "abandoned"},
		{Call: "c6", Queue: "q", Caller: "13800000006", Start: ts(f.now), Answer: ts(f.now), End: ts(f.now), Disposition: "answered"},
	} {
		f.event(t, protocol.EventCallEnded, e)
	}
	c, rep, err := f.svc.Generate(ctx, "demo", "sup", GenerateInput{Source: SourceAbandoned, Campaign: Input{Name: "放弃回拨", Mode: ModePreview}})
	if err != nil {
		t.Fatal(err)
	}
	list, _, _ := f.svc.Targets(ctx, "demo", c.ID, "", 10, 0)
	if rep.Accepted != 2 || len(rep.Rejected) != 2 || len(list) != 2 || list[0].Phone != "138****0001" || list[1].Phone != "010****9988" || c.Source != SourceAbandoned {
		t.Errorf("abandoned: %+v %+v", rep, list)
	}

	// Tickets resolved two days ago awaiting 回访: the list carries them.
	cust, err := f.oa.CreateCustomer(ctx, "demo", "sup", oa.CustomerInput{Name: "孙八", Phones: []oa.PhoneInput{{Number: "13900000008"}}})
	if err != nil {
		t.Fatal(err)
	}
	dep, _ := f.oa.CreateDepartment(ctx, "demo", 0, "维修部")
	cat, _ := f.oa.PutCategory(ctx, "demo", oa.Category{Name: "报修"})
	boss := oa.Actor{UserID: "boss", Supervisor: true}
	resolve := func(title string, at time.Time) oa.Ticket {
		f.now = at
		tk, err := f.oa.CreateTicket(ctx, "demo", "sup", oa.TicketInput{Title: title, CategoryID: cat.ID, CustomerID: cust.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []oa.TransitionInput{{Action: oa.ActDispatch, DepartmentID: dep.ID}, {Action: oa.ActSign}, {Action: oa.ActResolve, Comment: "好了"}} {
			if _, err := f.oa.Transition(ctx, "demo", boss, tk.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		return tk
	}
	today := f.now
	due := resolve("两天前办结", today.AddDate(0, 0, -2))
	resolve("昨天办结", today.AddDate(0, 0, -1))
	f.now = today
	v, rep, err := f.svc.Generate(ctx, "demo", "sup", GenerateInput{Source: SourceVisit, Days: 2, Campaign: Input{Name: "回访", Mode: ModePreview}})
	if err != nil {
		t.Fatal(err)
	}
	list, _, _ = f.svc.Targets(ctx, "demo", v.ID, "", 10, 0)
	if v.Purpose != PurposeVisit || rep.Accepted != 1 || len(list) != 1 || list[0].TicketID != due.ID || list[0].CustomerID != cust.ID || list[0].Name != "孙八" {
		t.Errorf("visit list: %+v %+v %+v", v, rep, list)
	}

	// Callbacks: one answered by the agent it rang, one not.
	f.event(t, protocol.EventCallbackCreated, protocol.CallbackCreated{Call: "q1", Queue: "q", Number: "13700000001"})
	f.event(t, protocol.EventCallbackCreated, protocol.CallbackCreated{Call: "q2", Queue: "q", Number: "13700000002"})
	f.event(t, protocol.EventCallRinging, protocol.CallRinging{Call: "cb1", Agent: "a1", Queue: "q", Caller: "13700000001", Callback: "13700000001"})
	f.event(t, protocol.EventCallAnswered, protocol.CallAnswered{Call: "cb1", Agent: "a1", Queue: "q", Caller: "13700000001", Answered: ts(f.now)})
	b, rep, err := f.svc.Generate(ctx, "demo", "sup", GenerateInput{Source: SourceCallback, Campaign: Input{Name: "未接回呼", Mode: ModePreview}})
	if err != nil {
		t.Fatal(err)
	}
	list, _, _ = f.svc.Targets(ctx, "demo", b.ID, "", 10, 0)
	if rep.Accepted != 1 || len(list) != 1 || list[0].Phone != "137****0002" || !strings.Contains(list[0].Note, "未接回呼") {
		t.Errorf("callbacks: %+v %+v", rep, list)
	}
	if _, _, err := f.svc.Generate(ctx, "demo", "sup", GenerateInput{Source: "everyone"}); err == nil {
		t.Error("an unknown source generated a list")
	}
}
