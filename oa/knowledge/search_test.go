package knowledge

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

func lotterySynonyms(t *testing.T, f *fixture) {
	t.Helper()
	if err := f.kb.SetSynonyms(context.Background(), tenant, [][]string{
		{"彩票站", "彩票站点", "投注站", "投注点"},
		{"报修", "故障报修", "维修"},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestSearchFindsThroughSynonyms: a caller's words are not the article's;
// the synonym groups bridge them, and unrelated articles that share only
// a character or one of the words stay out.
func TestSearchFindsThroughSynonyms(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lotterySynonyms(t, f)
	b := f.base(t, "终端运维")
	want := f.publish(t, ArticleInput{BaseID: b.ID, Title: "投注站设备故障报修流程",
		BodyHTML: "<p>投注站的终端、打印机出现故障时，先重启设备；仍不能出票的，拨打热线登记报修，工程师四小时内上门。</p>"})
	f.publish(t, ArticleInput{BaseID: b.ID, Title: "彩票兑奖规则", BodyHTML: "<p>中奖彩票在兑奖期内凭票兑奖。</p>"})
	f.publish(t, ArticleInput{BaseID: b.ID, Title: "投注站开业申请", BodyHTML: "<p>新开投注站须提交场地证明。</p>"})

	r, err := f.kb.Search(ctx, tenant, Viewer{UserID: "u1"}, "彩票站点报修", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); !reflect.DeepEqual(got, []int64{want.ID}) {
		t.Fatalf("彩票站点报修 found %v, want only %d (groups %v)", got, want.ID, r.Groups)
	}
	if got := r.Items[0].Title; got != "<mark>投注站</mark>设备<mark>故障报修</mark>流程" {
		t.Errorf("highlighted title %q", got)
	}
	if s := r.Items[0].Snippet; !strings.Contains(s, "<mark>投注站</mark>的终端") || !strings.Contains(s, "<mark>报修</mark>") {
		t.Errorf("snippet %q", s)
	}
	// The body's words find it too, through the segmenter's words.
	r, err = f.kb.Search(ctx, tenant, Viewer{}, "打印机不能出票", SearchOptions{})
	if err != nil || !reflect.DeepEqual(ids(r), []int64{want.ID}) {
		t.Errorf("打印机不能出票: %v %v", ids(r), err)
	}
	// A phrase must appear as written; an excluded word removes.
	r, _ = f.kb.Search(ctx, tenant, Viewer{}, `"设备故障"`, SearchOptions{})
	if len(r.Items) != 1 {
		t.Errorf(`"设备故障": %v`, ids(r))
	}
	r, _ = f.kb.Search(ctx, tenant, Viewer{}, `投注站 -开业`, SearchOptions{})
	if !reflect.DeepEqual(ids(r), []int64{want.ID}) {
		t.Errorf("投注站 -开业: %v", ids(r))
	}
}

// TestSearchHidesExpiredAndFuture: an article is found only between its
// effective and expiry dates.
func TestSearchHidesExpiredAndFuture(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.base(t, "政策")
	now := f.clk.t
	old := f.publish(t, ArticleInput{BaseID: b.ID, Title: "2025年投注站补贴政策", BodyHTML: "补贴标准", ExpiresAt: now.Add(-time.Hour).UnixMilli()})
	next := f.publish(t, ArticleInput{BaseID: b.ID, Title: "2026年投注站补贴政策", BodyHTML: "补贴标准", EffectiveAt: now.Add(24 * time.Hour).UnixMilli()})
	cur := f.publish(t, ArticleInput{BaseID: b.ID, Title: "投注站补贴申领", BodyHTML: "补贴申领", EffectiveAt: now.Add(-24 * time.Hour).UnixMilli(), ExpiresAt: now.Add(24 * time.Hour).UnixMilli()})
	r, err := f.kb.Search(ctx, tenant, Viewer{}, "补贴", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(r), []int64{cur.ID}) {
		t.Fatalf("found %v, want only the current one %d", ids(r), cur.ID)
	}
	if _, err := f.kb.Article(ctx, tenant, Viewer{}, old.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("an expired article reads: %v", err)
	}
	f.clk.t = now.Add(36 * time.Hour) // the current one expired, the next begins
	r, _ = f.kb.Search(ctx, tenant, Viewer{}, "补贴", SearchOptions{})
	if !reflect.DeepEqual(ids(r), []int64{next.ID}) {
		t.Fatalf("a day and a half later found %v, want %d", ids(r), next.ID)
	}
}

// TestDepartmentWithoutAccessSeesNothing: a base granted to one
// department is invisible to another (search, listing, reading,
// suggestions), visible to the department's sub-departments.
func TestDepartmentWithoutAccessSeesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ops, err := f.oa.CreateDepartment(ctx, tenant, 0, "运维部")
	if err != nil {
		t.Fatal(err)
	}
	field, _ := f.oa.CreateDepartment(ctx, tenant, ops.ID, "外勤组")
	sales, _ := f.oa.CreateDepartment(ctx, tenant, 0, "市场部")
	b := f.base(t, "运维内部", ops.ID)
	a := f.publish(t, ArticleInput{BaseID: b.ID, Title: "投注站设备故障报修流程", BodyHTML: "报修"})

	outsider := Viewer{UserID: "s1", Department: sales.ID}
	r, err := f.kb.Search(ctx, tenant, outsider, "报修", SearchOptions{})
	if err != nil || len(r.Items) != 0 || r.Total != 0 {
		t.Fatalf("市场部 found %v (%v)", ids(r), err)
	}
	if bs, _ := f.kb.Bases(ctx, tenant, outsider); len(bs) != 0 {
		t.Errorf("市场部 lists %v", bs)
	}
	if _, err := f.kb.Article(ctx, tenant, outsider, a.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("市场部 reads the article: %v", err)
	}
	if sg, _ := f.kb.Suggest(ctx, tenant, outsider, "投注", 5); len(sg) != 0 {
		t.Errorf("市场部 is offered %v", sg)
	}
	if _, err := f.kb.Vote(ctx, tenant, outsider, a.ID, true); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("市场部 votes: %v", err)
	}
	for _, v := range []Viewer{{UserID: "o1", Department: ops.ID}, {UserID: "f1", Department: field.ID}} {
		r, _ := f.kb.Search(ctx, tenant, v, "报修", SearchOptions{})
		if !reflect.DeepEqual(ids(r), []int64{a.ID}) {
			t.Errorf("department %d found %v", v.Department, ids(r))
		}
	}
	// A user with no department reads only open bases.
	if r, _ := f.kb.Search(ctx, tenant, Viewer{UserID: "x"}, "报修", SearchOptions{}); len(r.Items) != 0 {
		t.Errorf("no department found %v", ids(r))
	}
}

// TestPopularityOrdersEqualMatches: of two articles that match alike, the
// one agents found helpful comes first; an unhelpful vote takes it back.
func TestPopularityOrdersEqualMatches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.base(t, "常见问题")
	a1 := f.publish(t, ArticleInput{BaseID: b.ID, Title: "终端无法联网（一）", BodyHTML: "检查网线"})
	a2 := f.publish(t, ArticleInput{BaseID: b.ID, Title: "终端无法联网（二）", BodyHTML: "检查网线"})
	r, _ := f.kb.Search(ctx, tenant, Viewer{}, "无法联网", SearchOptions{})
	if !reflect.DeepEqual(ids(r), []int64{a1.ID, a2.ID}) {
		t.Fatalf("before votes: %v", ids(r))
	}
	for _, u := range []string{"u1", "u2"} {
		if _, err := f.kb.Vote(ctx, tenant, Viewer{UserID: u}, a2.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.kb.View(ctx, tenant, Viewer{UserID: "u3"}, a2.ID)
	if err != nil || got.Views != 1 || got.Helpful != 2 || got.Heat != 11 {
		t.Fatalf("after a view and two votes: %+v %v", got, err)
	}
	r, _ = f.kb.Search(ctx, tenant, Viewer{}, "无法联网", SearchOptions{})
	if !reflect.DeepEqual(ids(r), []int64{a2.ID, a1.ID}) || r.Items[0].Heat != 11 {
		t.Fatalf("after votes: %v", r.Items)
	}
	for _, u := range []string{"u1", "u2"} { // changed their minds
		f.kb.Vote(ctx, tenant, Viewer{UserID: u}, a2.ID, false)
	}
	r, _ = f.kb.Search(ctx, tenant, Viewer{}, "无法联网", SearchOptions{})
	if !reflect.DeepEqual(ids(r), []int64{a1.ID, a2.ID}) {
		t.Fatalf("after unhelpful votes: %v", ids(r))
	}
}

func TestSuggest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lotterySynonyms(t, f)
	b := f.base(t, "终端运维")
	a := f.publish(t, ArticleInput{BaseID: b.ID, Title: "投注站设备故障报修流程", BodyHTML: "报修"})
	sg, err := f.kb.Suggest(ctx, tenant, Viewer{}, "投注站设", 5)
	if err != nil || len(sg) == 0 || sg[0].ArticleID != a.ID || sg[0].Kind != "article" {
		t.Fatalf("投注站设: %+v %v", sg, err)
	}
	// Typed in the caller's words, the title is still offered.
	sg, _ = f.kb.Suggest(ctx, tenant, Viewer{}, "彩票站点报", 5)
	if len(sg) == 0 || sg[0].ArticleID != a.ID {
		t.Fatalf("彩票站点报: %+v", sg)
	}
	// A search that found something is offered to the next who types its start.
	f.kb.Search(ctx, tenant, Viewer{}, "报修 流程", SearchOptions{})
	f.kb.Search(ctx, tenant, Viewer{}, "报销", SearchOptions{}) // finds nothing: never offered
	sg, _ = f.kb.Suggest(ctx, tenant, Viewer{}, "报", 5)
	var queries []string
	for _, s := range sg {
		if s.Kind == "query" {
			queries = append(queries, s.Text)
		}
	}
	if !reflect.DeepEqual(queries, []string{"报修 流程"}) {
		t.Errorf("queries offered for 报: %v", sg)
	}
}
