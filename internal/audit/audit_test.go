package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	log   *Log
	db    *store.DB
	ring  *keys.Keyring
	key   *gm.PrivateKey
	clock *clock
}

func newFixture(t testing.TB, start time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, _ := keys.ParseMasterKey(keys.GenerateMasterKey())
	km, _ := keys.Open(ctx, db, master, nil)
	ring, err := km.Keyring(ctx, "audit")
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := gm.GenerateKey()
	clk := &clock{t: start}
	l, err := New(ctx, Config{SignEvery: 10, SignInterval: time.Minute, Now: clk.Now}, Deps{DB: db, Keys: ring, Signer: sk})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{log: l, db: db, ring: ring, key: sk, clock: clk}
}

func (f *fixture) fill(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	actions := []string{"auth.login", "auth.logout", "rbac.role.assign", "recording.read", "config.write"}
	for i := 0; i < n; i++ {
		_, err := f.log.Append(ctx, Entry{
			Tenant: []string{"t1", "t2"}[i%2], Actor: fmt.Sprintf("u%d", i%3), Action: actions[i%len(actions)],
			Target: fmt.Sprintf("obj/%d", i), Outcome: OutcomeOK, Source: "127.0.0.1", Detail: "n=" + fmt.Sprint(i),
		})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Second)
	}
}

func mustVerify(t *testing.T, l *Log) Report {
	t.Helper()
	rep, err := l.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestChainVerifiesAndHeadIsSigned(t *testing.T) {
	f := newFixture(t, time.Now())
	f.fill(t, 35)
	rep := mustVerify(t, f.log)
	if !rep.OK || rep.Rows != 35 || rep.BrokenRow != 0 {
		t.Fatalf("report %+v", rep)
	}
	// Rows 1 (first), 11, 21, 31 are signed with SignEvery 10.
	if rep.Signatures != 4 || rep.LastSigned != 31 || rep.UnsignedTail != 4 {
		t.Fatalf("signatures: %+v", rep)
	}
	// The interval signs a quiet log's tail too.
	f.clock.Add(2 * time.Minute)
	if err := f.log.SignHead(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, f.log); rep.LastSigned != 35 || rep.UnsignedTail != 0 {
		t.Fatalf("after SignHead: %+v", rep)
	}
	// A verifier holding another key rejects the signatures.
	other, _ := gm.GenerateKey()
	ro, _ := New(context.Background(), Config{}, Deps{DB: f.db, Keys: f.ring, Verifier: &other.PublicKey})
	if rep := mustVerify(t, ro); rep.OK || !strings.Contains(rep.Reason, "signature") {
		t.Fatalf("foreign key: %+v", rep)
	}
}

func TestDatabaseRefusesUpdateAndDelete(t *testing.T) {
	f := newFixture(t, time.Now())
	f.fill(t, 5)
	db := f.db.SQL()
	for _, q := range []string{
		`UPDATE audit_log SET detail = 'edited' WHERE id = 2`,
		`DELETE FROM audit_log WHERE id = 2`,
		`DELETE FROM audit_log`,
		`UPDATE audit_signatures SET row_id = 1`,
		`DELETE FROM audit_signatures`,
		`INSERT INTO audit_anchor(id, last_pruned_id, last_pruned_mac, pruned_at, signature) VALUES (1, 3, x'00', 0, x'00')`,
		`INSERT INTO audit_prune_gate(cutoff) VALUES (9999999999999)`,
	} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "audit:") {
			t.Errorf("%s: err = %v, want trigger refusal", q, err)
		}
	}
	if rep := mustVerify(t, f.log); !rep.OK || rep.Rows != 5 {
		t.Fatalf("log changed: %+v", rep)
	}
}

// tamper runs SQL as someone with the database file would: triggers dropped.
func tamper(t *testing.T, f *fixture, q string) {
	t.Helper()
	db := f.db.SQL()
	for _, tr := range []string{"audit_log_no_update", "audit_log_no_delete", "audit_signatures_no_delete", "audit_signatures_no_update"} {
		db.Exec(`DROP TRIGGER IF EXISTS ` + tr)
	}
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func TestTamperIsReportedAtTheExactRow(t *testing.T) {
	cases := []struct {
		name   string
		sql    string
		broken int64
		reason string
	}{
		{"content of row 17 altered", `UPDATE audit_log SET detail = 'nothing happened' WHERE id = 17`, 17, "MAC"},
		{"outcome flipped on row 3", `UPDATE audit_log SET outcome = 'ok', actor = 'someone' WHERE id = 3`, 3, "MAC"},
		{"row 17's mac replaced by row 16's", `UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE id = 16) WHERE id = 17`, 17, "MAC"},
		{"row 12 deleted", `DELETE FROM audit_log WHERE id = 12`, 13, "link"},
		{"rows 33..35 cut from the end", `DELETE FROM audit_log WHERE id >= 33`, 33, "removed from the end"},
		{"first row deleted", `DELETE FROM audit_log WHERE id = 1`, 2, "link"},
		{"signed row 31 altered and resealed with a copied link", `UPDATE audit_log SET ts = ts + 1 WHERE id = 31`, 31, "MAC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, time.Now())
			f.fill(t, 35)
			tamper(t, f, c.sql)
			rep := mustVerify(t, f.log)
			if rep.OK || rep.BrokenRow != c.broken || !strings.Contains(rep.Reason, c.reason) {
				t.Fatalf("report %+v, want broken row %d (%s)", rep, c.broken, c.reason)
			}
		})
	}
}

func TestPruneKeepsChainVerifiable(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	f := newFixture(t, now.Add(-400*24*time.Hour))
	f.fill(t, 30) // 400 days old
	f.clock.Add(200 * 24 * time.Hour)
	f.fill(t, 20) // 200 days old
	f.clock.t = now
	f.fill(t, 10) // today
	if _, err := f.log.Prune(ctx, now.Add(-179*24*time.Hour)); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("pruning inside retention: %v", err)
	}
	n, err := f.log.Prune(ctx, now.Add(-300*24*time.Hour))
	if err != nil || n != 30 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	rep := mustVerify(t, f.log)
	if !rep.OK || rep.AnchorID != 30 || rep.FirstRow != 31 || rep.Rows != 31 {
		t.Fatalf("after prune: %+v", rep)
	}
	es, _ := f.log.Search(ctx, Filter{Action: "audit.prune"})
	if len(es) != 1 || !strings.Contains(es[0].Detail, "30 rows") {
		t.Fatalf("prune not audited: %+v", es)
	}
	// A second prune moves the anchor on.
	if n, err := f.log.Prune(ctx, now.Add(-190*24*time.Hour)); err != nil || n != 20 {
		t.Fatalf("second prune = %d, %v", n, err)
	}
	if rep := mustVerify(t, f.log); !rep.OK || rep.AnchorID != 50 {
		t.Fatalf("after second prune: %+v", rep)
	}
	// Tampering after the anchor is still found, and a forged anchor is rejected.
	tamper(t, f, `UPDATE audit_log SET detail = 'x' WHERE id = 55`)
	if rep := mustVerify(t, f.log); rep.BrokenRow != 55 {
		t.Fatalf("tamper after prune: %+v", rep)
	}
	f.db.SQL().Exec(`DROP TRIGGER audit_anchor_no_update`)
	f.db.SQL().Exec(`UPDATE audit_anchor SET last_pruned_id = 54`)
	if rep := mustVerify(t, f.log); rep.OK || !strings.Contains(rep.Reason, "anchor") {
		t.Fatalf("forged anchor: %+v", rep)
	}
}

func TestSearchAndExport(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	f := newFixture(t, start)
	f.fill(t, 40)
	f.log.Append(ctx, Entry{Tenant: "t1", Actor: "=cmd|' /C calc'!A0", Action: "auth.login", Outcome: OutcomeFailed})

	got, _ := f.log.Search(ctx, Filter{Tenant: "t1", Action: "auth"})
	for _, e := range got {
		if e.Tenant != "t1" || !strings.HasPrefix(e.Action, "auth.") {
			t.Fatalf("filter leaked %+v", e)
		}
	}
	if len(got) != 9 { // i%2==0 and i%5 in {0,1}: 4 + 4, plus the extra row
		t.Fatalf("tenant+action: %d rows", len(got))
	}
	got, _ = f.log.Search(ctx, Filter{Actor: "u1", From: start.Add(10 * time.Second), To: start.Add(20 * time.Second)})
	if len(got) != 4 || got[0].ID != 11 || got[3].ID != 20 {
		t.Fatalf("actor+time: %+v", got)
	}
	page, _ := f.log.Search(ctx, Filter{AfterID: 35, Limit: 3})
	if len(page) != 3 || page[0].ID != 36 {
		t.Fatalf("paging: %+v", page)
	}
	var buf bytes.Buffer
	n, err := f.log.ExportCSV(ctx, &buf, Filter{Tenant: "t1"})
	if err != nil || n != 21 {
		t.Fatalf("export n=%d err=%v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 22 || recs[0][0] != "id" || len(recs[1][9]) != 64 {
		t.Fatalf("csv: %v %v", err, recs[:2])
	}
	if last := recs[len(recs)-1]; last[3] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("formula not defused: %q", last[3])
	}
}

func TestHandlersAreGatedAndExportIsAudited(t *testing.T) {
	f := newFixture(t, time.Now())
	f.fill(t, 6)
	gate := func(ctx context.Context, perm string) (string, string, error) {
		who, _ := ctx.Value(ctxWho{}).(string)
		if who == "auditor" {
			return "u-aud", "t1", nil
		}
		return "", "", errs.ErrForbidden
	}
	do := func(h http.Handler, who, q string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/audit?"+q, nil)
		r = r.WithContext(context.WithValue(r.Context(), ctxWho{}, who))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := do(f.log.ExportHandler(gate), "sysadmin", ""); rec.Code != 403 {
		t.Fatalf("sysadmin export: %d", rec.Code)
	}
	rec := do(f.log.ExportHandler(gate), "auditor", "tenant=t2")
	if rec.Code != 200 || strings.Count(rec.Body.String(), "\n") != 4 || strings.Contains(rec.Body.String(), ",t2,") {
		t.Fatalf("auditor export: %d\n%s", rec.Code, rec.Body)
	}
	es, _ := f.log.Search(context.Background(), Filter{Action: "audit.export"})
	if len(es) != 1 || es[0].Actor != "u-aud" {
		t.Fatalf("export not audited: %+v", es)
	}
	if rec := do(f.log.SearchHandler(gate), "auditor", "from=yesterday"); rec.Code != 400 {
		t.Fatalf("bad time: %d", rec.Code)
	}
	if rec := do(f.log.SearchHandler(gate), "auditor", "action=auth"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"auth.login"`) {
		t.Fatalf("search: %d %s", rec.Code, rec.Body)
	}
	if rep := mustVerify(t, f.log); !rep.OK {
		t.Fatalf("%+v", rep)
	}
}

type ctxWho struct{}

func BenchmarkAppend(b *testing.B) {
	f := newFixture(b, time.Now())
	ctx := context.Background()
	e := Entry{Tenant: "t1", Actor: "u1", Action: "recording.read", Target: "recording/123", Outcome: OutcomeOK, Source: "10.0.0.1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.log.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify10k(b *testing.B) {
	f := newFixture(b, time.Now())
	f.fill(b, 10_000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if rep, _ := f.log.Verify(ctx); !rep.OK {
			b.Fatal(rep)
		}
	}
}

// FuzzParseFilter feeds arbitrary queries through the parser and, when they
// parse, into a real search: no input may make the SQL fail.
func FuzzParseFilter(f *testing.F) {
	f.Add("from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00%2B08:00&actor=u1&action=auth&after=5&limit=10")
	f.Add("from=yesterday")
	f.Add("limit=-1&after=x")
	f.Add("action=%27%20OR%201%3D1--&actor=%22")
	fx := newFixture(f, time.Now())
	fx.fill(f, 5)
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/audit", nil)
		r.URL.RawQuery = q
		fl, err := parseFilter(r)
		if err != nil {
			return
		}
		es, err := fx.log.Search(context.Background(), fl)
		if err != nil {
			t.Fatalf("query %q: search failed: %v", q, err)
		}
		if fl.Actor != "" && len(es) > 0 && es[0].Actor != fl.Actor {
			t.Fatalf("actor filter ignored")
		}
	})
}
