package knowledge

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/oa"
)

// TestReviewAndVersions: a draft is not searched; its editor cannot
// approve it; an edit of a published article leaves the published text
// live until the new version is approved.
func TestReviewAndVersions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.base(t, "流程")
	a, err := f.kb.CreateArticle(ctx, tenant, "e1", ArticleInput{BaseID: b.ID, Title: "退款流程", BodyHTML: "<p>退款三日内到账</p>"})
	if err != nil {
		t.Fatal(err)
	}
	search := func(q string) []int64 {
		r, err := f.kb.Search(ctx, tenant, Viewer{}, q, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ids(r)
	}
	if got := search("退款"); len(got) != 0 {
		t.Fatalf("a draft is found: %v", got)
	}
	if _, err := f.kb.Review(ctx, tenant, "e2", a.ID, true, ""); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("approved before submission: %v", err)
	}
	f.kb.Submit(ctx, tenant, "e1", a.ID)
	if _, err := f.kb.UpdateArticle(ctx, tenant, "e1", a.ID, ArticleInput{BaseID: b.ID, Title: "x"}); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("edited in review: %v", err)
	}
	if _, err := f.kb.Review(ctx, tenant, "e1", a.ID, true, ""); !errors.Is(err, ErrOwnReview) {
		t.Fatalf("own approval: %v", err)
	}
	if _, err := f.kb.Review(ctx, tenant, "e2", a.ID, false, "写明到账渠道"); err != nil {
		t.Fatal(err)
	}
	if got := search("退款"); len(got) != 0 {
		t.Fatalf("a rejected version is found: %v", got)
	}
	f.kb.UpdateArticle(ctx, tenant, "e1", a.ID, ArticleInput{BaseID: b.ID, Title: "退款流程", BodyHTML: "<p>退款三日内原路退回</p>"})
	f.kb.Submit(ctx, tenant, "e1", a.ID)
	if v, err := f.kb.Review(ctx, tenant, "e2", a.ID, true, ""); err != nil || v.Version != 2 || v.State != StatePublished {
		t.Fatalf("approve: %+v %v", v, err)
	}
	if got := search("原路退回"); !reflect.DeepEqual(got, []int64{a.ID}) {
		t.Fatalf("published v2 not found: %v", got)
	}
	// v3: a new title in draft; v2 stays live.
	if _, err := f.kb.UpdateArticle(ctx, tenant, "e1", a.ID, ArticleInput{BaseID: b.ID, Title: "退货退款", BodyHTML: "<p>退货后退款</p>"}); err != nil {
		t.Fatal(err)
	}
	if got := search("退货"); len(got) != 0 {
		t.Fatalf("the draft's words are found: %v", got)
	}
	got, _ := f.kb.Article(ctx, tenant, Viewer{All: true}, a.ID)
	if got.Title != "退款流程" || got.PublishedVersion != 2 || got.Pending == nil || got.Pending.Version != 3 || got.Pending.State != StateDraft {
		t.Fatalf("article while v3 is drafted: %+v", got)
	}
	f.kb.Submit(ctx, tenant, "e1", a.ID)
	f.kb.Review(ctx, tenant, "e3", a.ID, true, "")
	if got := search("退货"); !reflect.DeepEqual(got, []int64{a.ID}) {
		t.Fatalf("v3 not found: %v", got)
	}
	if got := search("原路退回"); len(got) != 0 {
		t.Fatalf("v2's words still found: %v", got)
	}
	vs, _ := f.kb.Versions(ctx, tenant, a.ID)
	var states []string
	for _, v := range vs {
		states = append(states, v.State)
	}
	if !reflect.DeepEqual(states, []string{StatePublished, StateSuperseded, StateRejected}) {
		t.Errorf("version states %v", states)
	}
	if err := f.kb.Unpublish(ctx, tenant, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := search("退货"); len(got) != 0 {
		t.Fatalf("an unpublished article is found: %v", got)
	}
}

// TestRichTextIsSanitised: scripts, handlers and javascript: links are
// dropped on input; the searchable text has no markup.
func TestRichTextIsSanitised(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.base(t, "x")
	a := f.publish(t, ArticleInput{BaseID: b.ID, Title: "安全", BodyHTML: `<p onclick="steal()">第一段<script>alert(1)</script></p><p>第二段 <a href="javascript:evil()">链接</a> <img src=x onerror=alert(2)> <b>加粗</b>&amp;</p><iframe src="https://evil"></iframe>`})
	got, err := f.kb.Article(ctx, tenant, Viewer{}, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"script", "onclick", "javascript:", "onerror", "iframe", "alert"} {
		if strings.Contains(got.BodyHTML, bad) {
			t.Errorf("%q kept: %s", bad, got.BodyHTML)
		}
	}
	if !strings.Contains(got.BodyHTML, "<b>加粗</b>") {
		t.Errorf("formatting lost: %s", got.BodyHTML)
	}
	texts, _ := f.kb.texts(ctx, []int64{a.ID})
	if body := texts[a.ID][1]; body != "第一段 第二段 链接 加粗&" {
		t.Errorf("search text %q", body)
	}
	if _, err := f.kb.CreateArticle(ctx, tenant, "e1", ArticleInput{BaseID: b.ID, Title: " "}); err == nil {
		t.Error("an empty title accepted")
	} else if fe, ok := oa.AsFieldErrors(err); !ok || fe["title"] == "" {
		t.Errorf("empty title: %v", err)
	}
}

func TestAttachments(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret := f.base(t, "内部", mustDept(t, f, "甲"))
	a := f.publish(t, ArticleInput{BaseID: secret.ID, Title: "接线图", BodyHTML: "见附件"})
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	att, err := f.kb.AddAttachment(ctx, tenant, "e1", a.ID, `C:\docs\wiring.png`, png)
	if err != nil || att.Name != "wiring.png" || att.MIME != "image/png" {
		t.Fatalf("add: %+v %v", att, err)
	}
	if _, err := f.kb.AddAttachment(ctx, tenant, "e1", a.ID, "x.html", []byte("<html><script>")); err == nil {
		t.Error("HTML accepted as an attachment")
	}
	_, data, err := f.kb.OpenAttachment(ctx, tenant, Viewer{All: true}, a.ID, att.ID)
	if err != nil || string(data) != string(png) {
		t.Fatalf("open: %v", err)
	}
	if _, _, err := f.kb.OpenAttachment(ctx, tenant, Viewer{UserID: "x"}, a.ID, att.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("an outsider opens it: %v", err)
	}
}

func mustDept(t *testing.T, f *fixture, name string) int64 {
	d, err := f.oa.CreateDepartment(context.Background(), tenant, 0, name)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestForCategories(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	open := f.base(t, "公开")
	closed := f.base(t, "内部", mustDept(t, f, "乙"))
	a := f.publish(t, ArticleInput{BaseID: open.ID, Title: "卡纸处理", CategoryID: 7})
	f.publish(t, ArticleInput{BaseID: open.ID, Title: "开业申请", CategoryID: 8})
	f.publish(t, ArticleInput{BaseID: closed.ID, Title: "内部卡纸", CategoryID: 7})
	got, err := f.kb.ForCategories(ctx, tenant, Viewer{UserID: "x"}, []int64{7, 9}, 5)
	if err != nil || len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("category 7 for an outsider of 内部: %+v %v", got, err)
	}
}
