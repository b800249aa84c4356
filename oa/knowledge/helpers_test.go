package knowledge

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/oa"
)

// sharedGSE loads the dictionary once for the package's tests.
var sharedGSE = sync.OnceValue(func() *GSE {
	g := NewGSE()
	<-g.Load()
	return g
})

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	kb  *Service
	oa  *oa.Service
	clk *clock
}

const tenant = "t1"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db, o, ring, clk := openOA(t)
	kb, err := New(context.Background(), Config{}, Deps{DB: db, Segmenter: sharedGSE(), Attachments: ring, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{kb: kb, oa: o, clk: clk}
}

// openOA opens a database in a temporary directory with the OA's tables
// (the departments the knowledge base refers to) and its attachment
// keyring, without the knowledge base's.
func openOA(t testing.TB) (*store.DB, *oa.Service, *keys.Keyring, *clock) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mk, err := keys.ParseMasterKey(keys.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km, err := keys.Open(ctx, db, mk, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fieldcrypt.New(ctx, km)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := km.Keyring(ctx, "oa.attachments")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}
	o, err := oa.New(ctx, oa.Config{}, oa.Deps{DB: db, Fields: fc, Attachments: ring, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return db, o, ring, clk
}

// publish writes, submits and approves an article (editor e1, reviewer e2).
func (f *fixture) publish(t testing.TB, in ArticleInput) Article {
	t.Helper()
	ctx := context.Background()
	a, err := f.kb.CreateArticle(ctx, tenant, "e1", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.kb.Submit(ctx, tenant, "e1", a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kb.Review(ctx, tenant, "e2", a.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) base(t testing.TB, name string, deps ...int64) Base {
	t.Helper()
	b, err := f.kb.PutBase(context.Background(), tenant, Base{Name: name, Departments: deps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(r SearchReply) []int64 {
	out := []int64{}
	for _, h := range r.Items {
		out = append(out, h.ID)
	}
	return out
}
