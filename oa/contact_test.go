package oa

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
)

func envelope(t *testing.T, typ string, seq uint64, at time.Time, data any) protocol.Envelope {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.Envelope{V: 1, Type: typ, Seq: seq, TS: protocol.Timestamp(at), Tenant: "demo", Data: b}
}

func TestEventsMakeOneContactRecordPerCallHoweverOftenDelivered(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cust, err := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "张三", Phones: []PhoneInput{{Number: "+86 138 0013 8000"}}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := f.clk.t
	evs := []protocol.Envelope{
		envelope(t, protocol.EventCallRinging, 4, t0, protocol.CallRinging{Call: "c1", Agent: "a1001", Queue: "lottery", Caller: "8613800138000", WaitS: 5, Vars: map[string]string{"outlet": "11010001"}}),
		envelope(t, protocol.EventCallAnswered, 5, t0.Add(3*time.Second), protocol.CallAnswered{Call: "c1", Agent: "a1001", Queue: "lottery", Caller: "8613800138000", Callee: "1001"}),
		envelope(t, protocol.EventCallEnded, 6, t0.Add(60*time.Second), protocol.CallEnded{Call: "c1", Agent: "a1001", Queue: "lottery", Caller: "8613800138000", Callee: "1001",
			Start: protocol.Timestamp(t0.Add(-5 * time.Second)), Answer: protocol.Timestamp(t0.Add(3 * time.Second)), End: protocol.Timestamp(t0.Add(60 * time.Second)),
			TalkS: 57, WaitS: 8, Disposition: "answered", HangupSide: "caller"}),
		envelope(t, protocol.EventRecordingReady, 7, t0.Add(61*time.Second), protocol.RecordingReady{Call: "c1", ID: "c1", URL: "/api/v1/recordings/c1/audio", State: "complete"}),
	}
	ring, err := f.svc.ApplyEvent(ctx, "demo", "ep1", evs[0])
	if err != nil || ring == nil || ring.Data.Agent != "a1001" {
		t.Fatalf("ringing: %+v %v", ring, err)
	}
	for _, e := range evs[1:] {
		if _, err := f.svc.ApplyEvent(ctx, "demo", "ep1", e); err != nil {
			t.Fatal(err)
		}
	}
	// A restart replays everything after an older cursor: nothing doubles.
	if err := f.svc.SetCursor(ctx, "demo", Cursor{Epoch: "ep1", Seq: 3}); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if _, err := f.svc.ApplyEvent(ctx, "demo", "ep1", e); err != nil {
			t.Fatal(err)
		}
	}
	// And the same events under a new epoch (a hub that restarted and
	// numbered them again) still find the call's one record.
	for _, e := range evs {
		if _, err := f.svc.ApplyEvent(ctx, "demo", "ep2", e); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := f.svc.FindContacts(ctx, "demo", ContactQuery{})
	if err != nil || total != 1 || len(list) != 1 {
		t.Fatalf("%d contacts (%v): %+v", total, err, list)
	}
	c := list[0]
	if c.CallID != "c1" || c.CDRID != "c1" || c.Kind != ContactAnswered || c.CustomerID != cust.ID || c.RecordingID != "c1" ||
		c.TalkS != 57 || c.Agent != "a1001" || c.Queue != "lottery" || c.CallerMasked != "138****8000" || c.Vars["outlet"] != "11010001" {
		t.Errorf("contact %+v", c)
	}
	cur, _ := f.svc.Cursor(ctx, "demo")
	if cur.Epoch != "ep2" || cur.Seq != 7 {
		t.Errorf("cursor %+v", cur)
	}
	// Found by any form of the number.
	if _, n, _ := f.svc.FindContacts(ctx, "demo", ContactQuery{Phone: "013800138000"}); n != 1 {
		t.Errorf("by phone: %d", n)
	}
}

// A colleague's call to the agent's extension pops no customer card; a
// citizen's call transferred to it (no queue either) does.
func TestInternalCallsPopNoCard(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	t0 := f.clk.t
	if ring, err := f.svc.ApplyEvent(ctx, "demo", "ep0", envelope(t, protocol.EventCallRinging, 0, t0,
		protocol.CallRinging{Call: "i1", Agent: "a1001", Caller: "1002"})); err != nil || ring != nil {
		t.Fatalf("internal call: pop %+v, %v", ring, err)
	}
	if ring, err := f.svc.ApplyEvent(ctx, "demo", "ep0", envelope(t, protocol.EventCallRinging, 0, t0,
		protocol.CallRinging{Call: "x1", Agent: "a1001", Caller: "13900139000"})); err != nil || ring == nil {
		t.Fatalf("transferred citizen: pop %+v, %v", ring, err)
	}
}

func TestMissedAbandonedAndVoicemailCalls(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	t0 := f.clk.t
	apply := func(seq uint64, typ string, d any) {
		t.Helper()
		if _, err := f.svc.ApplyEvent(ctx, "demo", "ep1", envelope(t, typ, seq, t0, d)); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, protocol.EventCallEnded, protocol.CallEnded{Call: "m1", Queue: "lottery", Caller: "13900139000", Start: protocol.Timestamp(t0), End: protocol.Timestamp(t0), HangupSide: "caller", Disposition: "abandoned"})
	apply(2, protocol.EventCallEnded, protocol.CallEnded{Call: "m2", Queue: "lottery", Agent: "a1", Caller: "13900139000", Start: protocol.Timestamp(t0), End: protocol.Timestamp(t0), HangupSide: "system", Disposition: "no_answer"})
	apply(3, protocol.EventCallEnded, protocol.CallEnded{Call: "o1", Caller: "1001", Callee: "13900139000", Start: protocol.Timestamp(t0), Answer: protocol.Timestamp(t0), End: protocol.Timestamp(t0), Disposition: "answered"})
	vm := protocol.VoicemailRecorded{Call: "v1", Caller: "13700137000", ID: "vm-v1", Mailbox: "hotline", DurationS: 12, Vars: map[string]string{"outlet": "11019999"}}
	apply(4, protocol.EventVoicemailRecorded, vm)
	apply(5, protocol.EventVoicemailRecorded, vm) // a second delivery under a lower cursor…
	if err := f.svc.SetCursor(ctx, "demo", Cursor{Epoch: "ep1", Seq: 0}); err != nil {
		t.Fatal(err)
	}
	apply(4, protocol.EventVoicemailRecorded, vm) // …and a replay
	kinds := map[string]string{}
	list, _, _ := f.svc.FindContacts(ctx, "demo", ContactQuery{})
	for _, c := range list {
		kinds[c.CallID] = c.Kind + "/" + c.Direction
		if c.CallID == "o1" && c.Callee != "139****9000" {
			t.Errorf("the citizen an extension called is kept as %q, want it masked", c.Callee)
		}
	}
	want := map[string]string{"m1": "abandoned/inbound", "m2": "missed/inbound", "o1": "answered/outbound", "v1": "voicemail/inbound"}
	for k, v := range want {
		if kinds[k] != v {
			t.Errorf("%s: %q, want %q", k, kinds[k], v)
		}
	}
	tickets, n, err := f.svc.FindTickets(ctx, "demo", Actor{}, TicketQuery{})
	if err != nil || n != 1 {
		t.Fatalf("voicemail tickets: %d %v", n, err)
	}
	if tickets[0].CallID != "v1" || tickets[0].OutletNo != "11019999" || tickets[0].State != StateAccepted || tickets[0].Caller != "137****7000" {
		t.Errorf("voicemail ticket %+v", tickets[0])
	}
}

func TestScreenPopCards(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cust, err := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "李四", VIP: true, Tags: []string{"投注站主"},
		Phones: []PhoneInput{{Number: "13800138000"}, {Number: "010-6552-9988", Label: "站点"}}})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := f.svc.PutCategory(ctx, "demo", Category{Name: "报修"})
	for i := 0; i < 7; i++ {
		if _, err := f.svc.CreateTicket(ctx, "demo", "u1", TicketInput{Title: "故障", CategoryID: cat.ID, CustomerID: cust.ID}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := f.clk.t
	for i, call := range []string{"p1", "p2"} {
		e := envelope(t, protocol.EventCallEnded, uint64(i+1), t0.Add(-48*time.Hour), protocol.CallEnded{Call: call, Queue: "lottery", Caller: "65529988",
			Start: protocol.Timestamp(t0.Add(-48 * time.Hour)), End: protocol.Timestamp(t0.Add(-48 * time.Hour)), Answer: protocol.Timestamp(t0.Add(-48 * time.Hour))})
		if _, err := f.svc.ApplyEvent(ctx, "demo", "ep1", e); err != nil {
			t.Fatal(err)
		}
	}
	// The landline arrives with +86 and is found under its stored form.
	card, err := f.svc.BuildCard(ctx, "demo", protocol.CallRinging{Call: "c9", Agent: "a1", Caller: "+861065529988", Vars: map[string]string{"outlet": "11010001"}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !card.Known || card.CustomerID != cust.ID || card.Name != "李四" || !card.VIP || card.OpenCount != 7 || len(card.OpenTickets) != 5 ||
		card.Repeat != 2 || len(card.LastContacts) != 2 || card.Phone != "010****9988" || card.IVR["outlet"] != "11010001" {
		t.Errorf("card %+v", card)
	}
	pop := f.svc.ScreenPop(card)
	if pop.Agent != "a1" || pop.Call != "c9" || pop.Fields["customer"] != "李四" || pop.Fields["outlet"] != "11010001" || pop.Fields["card"] == "" ||
		pop.URL != "http://oa.test/#/customers/"+itoa(cust.ID)+"?call=c9" {
		t.Errorf("pop %+v", pop)
	}
	// Repeat callers count only within RepeatDays (7): the two calls were
	// two days before t0, so six days back at t0+4d, eight at t0+6d.
	card, _ = f.svc.BuildCard(ctx, "demo", protocol.CallRinging{Call: "c10", Agent: "a1", Caller: "01065529988"}, t0.AddDate(0, 0, 4))
	if card.Repeat != 2 {
		t.Errorf("repeat within 7 days: %d", card.Repeat)
	}
	card, _ = f.svc.BuildCard(ctx, "demo", protocol.CallRinging{Call: "c10", Agent: "a1", Caller: "01065529988"}, t0.AddDate(0, 0, 6))
	if card.Repeat != 0 {
		t.Errorf("repeat after 8 days: %d", card.Repeat)
	}
	// An unknown number pops a new-customer card, prefilled.
	card, _ = f.svc.BuildCard(ctx, "demo", protocol.CallRinging{Call: "c11", Agent: "a1", Caller: "8613912345678", Vars: map[string]string{"outlet": "7"}}, t0)
	if card.Known || card.Prefill["phone"] != "13912345678" || card.Prefill["outlet_no"] != "7" || card.Phone != "139****5678" {
		t.Errorf("unknown card %+v", card)
	}
	if p := f.svc.ScreenPop(card); p.Title != "新客户 139****5678" {
		t.Errorf("unknown pop %+v", p)
	}
	card, _ = f.svc.BuildCard(ctx, "demo", protocol.CallRinging{Call: "c12", Agent: "a1", Caller: "anonymous"}, t0)
	if card.Known || card.NumberKind != NumberAnonymous {
		t.Errorf("anonymous card %+v", card)
	}
	// Another tenant's customer is not found.
	card, _ = f.svc.BuildCard(ctx, "acme", protocol.CallRinging{Call: "c13", Agent: "a1", Caller: "13800138000"}, t0)
	if card.Known {
		t.Error("acme's pop shows demo's customer")
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestCustomersSealedSearchedAndMerged(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, err := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "王五", Phones: []PhoneInput{{Number: "13800138000"}}, IDNo: "11010519491231002X"})
	if err != nil {
		t.Fatal(err)
	}
	if a.IDNoMasked != "110105********002X" || a.IDNo != "11010519491231002X" || a.Phones[0].Number != "13800138000" {
		t.Errorf("created %+v", a)
	}
	// At rest nothing holds the numbers in clear.
	var raw string
	if err := f.db.SQL().QueryRow(`SELECT quote(phone_enc)||quote(phone_bidx) FROM oa_customer_phones`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	masked, err := f.svc.Customer(ctx, "demo", a.ID, false)
	if err != nil || masked.IDNo != "" || masked.Phones[0].Number != "" || masked.Phones[0].Masked != "138****8000" {
		t.Errorf("masked read %+v %v", masked, err)
	}
	bad := []CustomerInput{{Name: ""}, {Name: "x", Phones: []PhoneInput{{Number: "anonymous"}}}, {Name: "x", IDNo: "110105194912310021"}, {Name: "x", Type: "nope"}}
	for _, in := range bad {
		if _, err := f.svc.CreateCustomer(ctx, "demo", "u1", in); err == nil {
			t.Errorf("accepted %+v", in)
		} else if fe, ok := AsFieldErrors(err); !ok || len(fe) == 0 {
			t.Errorf("%+v: %v is not a field error", in, err)
		}
	}
	b, _ := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "王五(重复)", Phones: []PhoneInput{{Number: "13900139000"}, {Number: "+8613800138000"}}})
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{Phone: "8613800138000"}); n != 2 {
		t.Errorf("by phone before merge: %d", n)
	}
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{Name: "王五"}); n != 2 {
		t.Errorf("by name prefix: %d", n)
	}
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{Name: "王五("}); n != 1 {
		t.Errorf("by a longer prefix: %d", n)
	}
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{Name: "王六"}); n != 0 {
		t.Errorf("by another prefix: %d", n)
	}
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{IDNo: "11010519491231002x"}); n != 1 {
		t.Errorf("by ID number (lower-case x): %d", n)
	}
	m, err := f.svc.MergeCustomers(ctx, "demo", "u1", a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Phones) != 2 {
		t.Errorf("merged phones %+v", m.Phones)
	}
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{Phone: "13900139000"}); n != 1 {
		t.Errorf("merged number not found on the kept customer: %d", n)
	}
	if _, err := f.svc.MergeCustomers(ctx, "demo", "u1", a.ID, b.ID); err == nil {
		t.Error("merged twice")
	}
	if _, _, err := f.svc.FindCustomers(ctx, "acme", CustomerQuery{Phone: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := f.svc.FindCustomers(ctx, "acme", CustomerQuery{Phone: "13800138000"}); len(l) != 0 {
		t.Error("acme finds demo's customer")
	}
}

func TestAttachmentsAreCheckedAndSealed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cat, _ := f.svc.PutCategory(ctx, "demo", Category{Name: "报修"})
	tk, _ := f.svc.CreateTicket(ctx, "demo", "u1", TicketInput{Title: "x", CategoryID: cat.ID})
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	a, err := f.svc.AddAttachment(ctx, "demo", "u1", tk.ID, "../../etc/photo.png", png)
	if err != nil || a.MIME != "image/png" || a.Name != "photo.png" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := f.svc.AddAttachment(ctx, "demo", "u1", tk.ID, "x.png", []byte("MZ\x90\x00 an executable")); err == nil {
		t.Error("an executable named .png was accepted")
	}
	var sealed []byte
	_ = f.db.SQL().QueryRow(`SELECT sealed FROM oa_attachments WHERE id=?`, a.ID).Scan(&sealed)
	if len(sealed) <= len(png) || string(sealed[:8]) == string(png[:8]) {
		t.Error("stored in clear")
	}
	_, data, err := f.svc.OpenAttachment(ctx, "demo", tk.ID, a.ID)
	if err != nil || string(data) != string(png) {
		t.Errorf("open: %v", err)
	}
	if _, _, err := f.svc.OpenAttachment(ctx, "acme", tk.ID, a.ID); err == nil {
		t.Error("another tenant opened it")
	}
}
