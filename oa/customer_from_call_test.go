package oa

import (
	"context"
	"testing"

	"github.com/yimen/yimen/cti/protocol"
)

// A new customer made from an unknown caller's screen pop gets the caller's
// number without anybody typing (or seeing) it, and the call's record,
// found by its call id, is linked to the customer.
func TestCustomerCreatedFromACallTakesTheCallerAndLinksTheCall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ring := envelope(t, protocol.EventCallRinging, 1, f.clk.t, protocol.CallRinging{Call: "c-new", Agent: "a1001", Queue: "lottery", Caller: "+86 139 1234 5678"})
	if _, err := f.svc.ApplyEvent(ctx, "demo", "ep1", ring); err != nil {
		t.Fatal(err)
	}
	list, total, err := f.svc.FindContacts(ctx, "demo", ContactQuery{CallID: "c-new"})
	if err != nil || total != 1 || list[0].CustomerID != 0 {
		t.Fatalf("contact by call id: %d %+v %v", total, list, err)
	}
	if _, n, _ := f.svc.FindContacts(ctx, "demo", ContactQuery{CallID: "other"}); n != 0 {
		t.Errorf("another call id finds %d", n)
	}
	c, err := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "王五", ContactID: list[0].ID, Phones: []PhoneInput{{Number: "010-6552-9988"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Phones) != 2 || c.Phones[0].Number != "13912345678" || c.Phones[0].Masked != "139****5678" || c.Phones[1].Number != "01065529988" {
		t.Errorf("phones %+v", c.Phones)
	}
	got, err := f.svc.ContactByCall(ctx, "demo", "c-new")
	if err != nil || got.CustomerID != c.ID {
		t.Errorf("the call is not linked: %+v %v", got, err)
	}
	// Typed again, the number is not doubled.
	c2, err := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "王五", ContactID: list[0].ID, Phones: []PhoneInput{{Number: "13912345678"}}})
	if err != nil || len(c2.Phones) != 1 {
		t.Errorf("doubled: %+v %v", c2.Phones, err)
	}
	// A record that does not exist is a field error and writes nothing.
	_, err = f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "赵六", ContactID: 999})
	if fe, ok := AsFieldErrors(err); !ok || fe["contact_id"] == "" {
		t.Errorf("unknown contact: %v", err)
	}
	if _, n, _ := f.svc.FindCustomers(ctx, "demo", CustomerQuery{Name: "赵六"}); n != 0 {
		t.Errorf("half-written customer: %d", n)
	}
}

// An update by a reader who sees the numbers masked keeps them.
func TestCustomerUpdateCanKeepItsNumbers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, err := f.svc.CreateCustomer(ctx, "demo", "u1", CustomerInput{Name: "钱七", Phones: []PhoneInput{{Number: "13700137000"}}, IDNo: "11010519491231002X"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.UpdateCustomer(ctx, "demo", c.ID, CustomerInput{Name: "钱七七", VIP: true, KeepNumbers: true})
	if err != nil || u.Name != "钱七七" || !u.VIP || len(u.Phones) != 1 || u.Phones[0].Number != "13700137000" || u.IDNo != "11010519491231002X" {
		t.Fatalf("kept: %+v %v", u, err)
	}
	// Without it the update replaces them, as before.
	u, err = f.svc.UpdateCustomer(ctx, "demo", c.ID, CustomerInput{Name: "钱七七"})
	if err != nil || len(u.Phones) != 0 || u.IDNo != "" {
		t.Fatalf("replaced: %+v %v", u, err)
	}
}
