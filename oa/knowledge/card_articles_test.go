package knowledge

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/oa"
)

// The screen pop of a caller with an open ticket carries the articles for
// that ticket's category that the ringing agent's department reads, and
// none from a base closed to it, nor expired ones.
func TestCardCarriesArticlesForOpenTicketCategories(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.oa.SetCardArticles(f.kb)
	hall := mustDept(t, f, "坐席一组")
	other := mustDept(t, f, "技术部")
	if err := f.oa.PutStaff(ctx, tenant, oa.Staff{UserID: "u-a1", Name: "a1", DepartmentID: hall, Agent: "a1001"}); err != nil {
		t.Fatal(err)
	}
	repair, err := f.oa.PutCategory(ctx, tenant, oa.Category{Name: "报修"})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := f.oa.CreateCustomer(ctx, tenant, "u1", oa.CustomerInput{Name: "李四", Phones: []oa.PhoneInput{{Number: "13800138000"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.oa.CreateTicket(ctx, tenant, "u1", oa.TicketInput{Title: "终端不出票", CategoryID: repair.ID, CustomerID: cust.ID}); err != nil {
		t.Fatal(err)
	}
	open := f.base(t, "公开")
	closed := f.base(t, "技术内部", other)
	want := f.publish(t, ArticleInput{BaseID: open.ID, Title: "投注站设备故障报修流程", CategoryID: repair.ID})
	f.publish(t, ArticleInput{BaseID: closed.ID, Title: "主板更换步骤", CategoryID: repair.ID})
	f.publish(t, ArticleInput{BaseID: open.ID, Title: "旧版报修表", CategoryID: repair.ID, ExpiresAt: f.clk.t.UnixMilli() - 1000})
	f.publish(t, ArticleInput{BaseID: open.ID, Title: "开业申请", CategoryID: repair.ID + 100})

	card, err := f.oa.BuildCard(ctx, tenant, protocol.CallRinging{Call: "c1", Agent: "a1001", Caller: "13800138000"}, f.clk.t)
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Articles) != 1 || card.Articles[0].ID != want.ID || card.Articles[0].Title != "投注站设备故障报修流程" {
		t.Fatalf("card articles %+v", card.Articles)
	}
	if len(card.OpenTickets) != 1 || card.OpenTickets[0].CategoryID != repair.ID {
		t.Errorf("open tickets %+v", card.OpenTickets)
	}
	// The bar reads them from the pop's card field.
	var sent oa.Card
	if err := json.Unmarshal([]byte(f.oa.ScreenPop(card).Fields["card"]), &sent); err != nil || len(sent.Articles) != 1 || sent.Articles[0].ID != want.ID {
		t.Errorf("pop card %+v %v", sent.Articles, err)
	}

	// An agent of the other department sees the closed base's article too.
	if err := f.oa.PutStaff(ctx, tenant, oa.Staff{UserID: "u-a2", Name: "a2", DepartmentID: other, Agent: "a1002"}); err != nil {
		t.Fatal(err)
	}
	card, err = f.oa.BuildCard(ctx, tenant, protocol.CallRinging{Call: "c2", Agent: "a1002", Caller: "13800138000"}, f.clk.t)
	if err != nil || len(card.Articles) != 2 {
		t.Fatalf("technical agent's card articles %+v %v", card.Articles, err)
	}
}
