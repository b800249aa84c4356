package knowledge

import (
	"context"
	"fmt"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"
)

// TestIndexFollowsPublishing: a new published version's words replace
// the old ones', unpublishing takes the article out, and the document
// frequencies follow (no term is left counted for an article that no
// longer holds it), after searches that cached what they ranked by.
func TestIndexFollowsPublishing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.base(t, "终端运维")
	a := f.publish(t, ArticleInput{BaseID: b.ID, Title: "打印机卡纸处理", BodyHTML: "<p>打开前盖取出卡纸。</p>"})
	other := f.publish(t, ArticleInput{BaseID: b.ID, Title: "打印机缺纸", BodyHTML: "<p>装入热敏纸。</p>"})
	if r, _ := f.kb.Search(ctx, tenant, Viewer{}, "卡纸", SearchOptions{}); !reflect.DeepEqual(ids(r), []int64{a.ID}) {
		t.Fatalf("卡纸 before the edit: %v", ids(r))
	}
	if _, err := f.kb.UpdateArticle(ctx, tenant, "e1", a.ID, ArticleInput{BaseID: b.ID, Title: "读卡器无响应", BodyHTML: "<p>重新插拔读卡器。</p>"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kb.Submit(ctx, tenant, "e1", a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kb.Review(ctx, tenant, "e2", a.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.kb.Search(ctx, tenant, Viewer{}, "卡纸", SearchOptions{}); len(r.Items) != 0 {
		t.Errorf("卡纸 after the edit found %v", ids(r))
	}
	if r, _ := f.kb.Search(ctx, tenant, Viewer{}, "读卡器", SearchOptions{}); !reflect.DeepEqual(ids(r), []int64{a.ID}) {
		t.Errorf("读卡器 after the edit: %v", ids(r))
	}
	df := func(term string) int {
		var n int
		f.kb.db.Q(ctx).QueryRowContext(ctx, `SELECT IFNULL((SELECT df FROM kb_terms WHERE term=?), 0)`, term).Scan(&n)
		return n
	}
	if df("卡纸") != 0 || df("打印") != 1 || df("读卡") != 1 || df("") != 2 {
		t.Errorf("frequencies after the edit: 卡纸 %d 打印 %d 读卡 %d articles %d", df("卡纸"), df("打印"), df("读卡"), df(""))
	}
	var rows int
	f.kb.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_terms WHERE term IN ('卡纸', '卡纸处理')`).Scan(&rows)
	if rows != 0 {
		t.Errorf("%d terms no article holds are still counted", rows)
	}
	if err := f.kb.Unpublish(ctx, tenant, a.ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.kb.Search(ctx, tenant, Viewer{}, "读卡器", SearchOptions{}); len(r.Items) != 0 {
		t.Errorf("读卡器 after unpublishing found %v", ids(r))
	}
	if r, _ := f.kb.Search(ctx, tenant, Viewer{}, "打印机", SearchOptions{}); !reflect.DeepEqual(ids(r), []int64{other.ID}) {
		t.Errorf("打印机 after unpublishing the other: %v", ids(r))
	}
	if df("读卡") != 0 || df("") != 1 {
		t.Errorf("frequencies after unpublishing: 读卡 %d articles %d", df("读卡"), df(""))
	}
	// A rebuild gives the same index.
	if n, err := f.kb.Reindex(ctx, tenant); err != nil || n != 1 {
		t.Fatalf("reindex: %d %v", n, err)
	}
	if r, _ := f.kb.Search(ctx, tenant, Viewer{}, "打印机", SearchOptions{}); !reflect.DeepEqual(ids(r), []int64{other.ID}) || df("") != 1 || df("打印") != 1 {
		t.Errorf("after a rebuild: %v, %d articles", ids(r), df(""))
	}
}

// TestOldIndexIsRebuilt: a database whose index is in the first layout
// (a row per posting, migration 0001) is upgraded: the old tables go and
// New indexes every published article, not the drafts.
func TestOldIndexIsRebuilt(t *testing.T) {
	ctx := context.Background()
	db, _, ring, clk := openOA(t)
	first, err := fs.ReadFile(migrationFiles, "migrations/0001_knowledge.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "oa_knowledge", fstest.MapFS{"migrations/0001_knowledge.sql": {Data: first}}); err != nil {
		t.Fatal(err)
	}
	// What the first layout held for one published article and a draft.
	for _, q := range []string{
		`INSERT INTO kb_bases(id, tenant, name, created_at) VALUES (1, 't1', '终端运维', 0)`,
		`INSERT INTO kb_articles(id, tenant, base_id, title, body_html, body_text, published_version, author, created_at, updated_at)
			VALUES (1, 't1', 1, '投注站设备故障报修流程', '<p>终端故障先重启</p>', '终端故障先重启', 1, 'e1', 0, 0)`,
		`INSERT INTO kb_articles(id, tenant, base_id, title, author, created_at, updated_at) VALUES (2, 't1', 1, '', 'e1', 0, 0)`,
		`INSERT INTO kb_versions(article_id, version, title, body_html, state, editor, created_at) VALUES (1, 1, '投注站设备故障报修流程', '<p>终端故障先重启</p>', 'published', 'e1', 0)`,
		`INSERT INTO kb_versions(article_id, version, title, body_html, state, editor, created_at) VALUES (2, 1, '投注站草稿', '<p>草稿</p>', 'draft', 'e1', 0)`,
		`INSERT INTO kb_postings(term, article_id, field, tf) VALUES ('投注', 1, 0, 1), ('报修', 1, 0, 1), ('终端', 1, 1, 1)`,
		`INSERT INTO kb_terms(term, df) VALUES ('', 1), ('投注', 1), ('报修', 1), ('终端', 1)`,
		`INSERT INTO kb_doclen(article_id, title_len, body_len) VALUES (1, 10, 6)`,
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	kb, err := New(ctx, Config{}, Deps{DB: db, Segmenter: sharedGSE(), Attachments: ring, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	var old int
	db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name IN ('kb_postings', 'kb_doclen')`).Scan(&old)
	if old != 0 {
		t.Errorf("%d tables of the first layout left", old)
	}
	f := &fixture{kb: kb, clk: clk}
	lotterySynonyms(t, f)
	r, err := kb.Search(ctx, tenant, Viewer{}, "彩票站点报修", SearchOptions{})
	if err != nil || !reflect.DeepEqual(ids(r), []int64{1}) {
		t.Fatalf("彩票站点报修 after the upgrade: %v %v", ids(r), err)
	}
	if r, _ := kb.Search(ctx, tenant, Viewer{}, "草稿", SearchOptions{}); len(r.Items) != 0 {
		t.Errorf("a draft is found: %v", ids(r))
	}
	var articles, indexed int
	db.SQL().QueryRowContext(ctx, `SELECT df FROM kb_terms WHERE term=''`).Scan(&articles)
	db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM kb_indexed`).Scan(&indexed)
	if articles != 1 || indexed != 1 {
		t.Errorf("after the upgrade %d articles counted, %d indexed", articles, indexed)
	}
	// A second start has nothing to rebuild and changes nothing.
	if _, err := New(ctx, Config{}, Deps{DB: db, Segmenter: sharedGSE(), Now: clk.now}); err != nil {
		t.Fatal(err)
	}
	db.SQL().QueryRowContext(ctx, `SELECT df FROM kb_terms WHERE term=''`).Scan(&articles)
	if articles != 1 {
		t.Errorf("after a second start %d articles counted", articles)
	}
}

// TestRankCacheFollowsConcurrentChanges: votes committed while searches
// load the rank cache (it is dropped before each) end up in it: the
// cached popularity equals the table's at the end.
func TestRankCacheFollowsConcurrentChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.base(t, "常见问题")
	a1 := f.publish(t, ArticleInput{BaseID: b.ID, Title: "终端无法联网", BodyHTML: "检查网线"})
	a2 := f.publish(t, ArticleInput{BaseID: b.ID, Title: "终端无法联网", BodyHTML: "检查网线"})
	const voters = 40
	done := make(chan error, 1)
	go func() {
		for i := range voters {
			if _, err := f.kb.Vote(ctx, tenant, Viewer{UserID: fmt.Sprint("u", i)}, a2.ID, true); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for searching := true; searching; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			searching = false
		default:
		}
		f.kb.ranks.mu.Lock()
		clear(f.kb.ranks.tenants)
		f.kb.ranks.mu.Unlock()
		if _, err := f.kb.Search(ctx, tenant, Viewer{}, "无法联网", SearchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := f.kb.Search(ctx, tenant, Viewer{}, "无法联网", SearchOptions{})
	if err != nil || !reflect.DeepEqual(ids(r), []int64{a2.ID, a1.ID}) || r.Items[0].Heat != 5*voters {
		t.Fatalf("after %d votes: %+v %v", voters, r.Items, err)
	}
	f.kb.ranks.mu.RLock()
	cached := f.kb.ranks.tenants[tenant][a2.ID]
	f.kb.ranks.mu.RUnlock()
	if cached == nil || cached.helpful != voters {
		t.Errorf("cached %+v, the table %d helpful votes", cached, voters)
	}
}
