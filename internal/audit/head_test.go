package audit

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cutTheEnd removes rows after keep and the signatures over them, and mends
// AUTOINCREMENT's memory, as someone with write access to the database
// file and no signing key would: the chain that remains is intact.
func cutTheEnd(t *testing.T, f *fixture, keep int64) {
	t.Helper()
	tamper(t, f, `DELETE FROM audit_signatures WHERE row_id > `+itoa(keep))
	tamper(t, f, `DELETE FROM audit_log WHERE id > `+itoa(keep))
	tamper(t, f, `UPDATE sqlite_sequence SET seq = `+itoa(keep)+` WHERE name = 'audit_log'`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCutFromTheEndIsCaughtByAnExportedHead(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, time.Now())
	f.fill(t, 45)
	f.clock.Add(2 * time.Minute)
	if err := f.log.SignHead(ctx); err != nil {
		t.Fatal(err)
	}
	exported, err := f.log.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if exported.Row != 45 || exported.Seq < 2 {
		t.Fatalf("exported head %+v, want the head at row 45", exported)
	}
	if rep, _ := f.log.VerifyExpecting(ctx, Expect{Head: &exported}); !rep.OK {
		t.Fatalf("the untouched log does not hold its own head: %+v", rep)
	}
	cutTheEnd(t, f, 25)
	if rep := mustVerify(t, f.log); !rep.OK {
		t.Fatalf("the cut is expected to chain cleanly without outside knowledge; got %+v", rep)
	}
	rep, err := f.log.VerifyExpecting(ctx, Expect{Head: &exported})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !strings.Contains(rep.Reason, "cut from the end") || rep.BrokenRow != 45 {
		t.Fatalf("verify with the exported head: %+v", rep)
	}
	// Nor does the newest signature look fresh any more.
	rep, _ = f.log.VerifyExpecting(ctx, Expect{MaxAge: 90 * time.Second, Now: f.clock.Now()})
	if rep.OK || !strings.Contains(rep.Reason, "old") {
		t.Fatalf("verify expecting a recent signature: %+v", rep)
	}
}

func TestFreshLogPassesTheAgeCheck(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, time.Now())
	f.fill(t, 5)
	f.clock.Add(2 * time.Minute)
	// A quiet log is re-signed by the ticker even with no new rows.
	if err := f.log.SignHead(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := f.log.Head(ctx)
	f.clock.Add(2 * time.Minute)
	if err := f.log.SignHead(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := f.log.Head(ctx)
	if after.Seq != before.Seq+1 || after.Row != before.Row {
		t.Fatalf("quiet log not re-signed: %+v then %+v", before, after)
	}
	if rep, _ := f.log.VerifyExpecting(ctx, Expect{MaxAge: 90 * time.Second, Now: f.clock.Now(), Head: &before}); !rep.OK {
		t.Fatalf("fresh log: %+v", rep)
	}
}

func TestRemovedOrForgedHeadsAreCaught(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, time.Now())
	f.fill(t, 35) // heads at rows 1, 11, 21, 31
	tamper(t, f, `DELETE FROM audit_signatures WHERE row_id = 21`)
	if rep := mustVerify(t, f.log); rep.OK || !strings.Contains(rep.Reason, "jump") {
		t.Fatalf("a head removed from the middle: %+v", rep)
	}

	g := newFixture(t, time.Now())
	g.fill(t, 15)
	h, _ := g.log.Head(ctx)
	forged := h
	forged.Seq, forged.Row = h.Seq+5, h.Row+50
	rep, _ := g.log.VerifyExpecting(ctx, Expect{Head: &forged})
	if rep.OK || !strings.Contains(rep.Reason, "not signed by the audit key") {
		t.Fatalf("a head nobody signed: %+v", rep)
	}
}

func TestHeadLineRoundTripsThroughTheProcessLog(t *testing.T) {
	ctx := context.Background()
	var logBuf bytes.Buffer
	f := newFixture(t, time.Now())
	f.log.log = slog.New(slog.NewTextHandler(&logBuf, nil))
	f.fill(t, 3)
	want, _ := f.log.Head(ctx)
	var last string
	for _, line := range strings.Split(strings.TrimSpace(logBuf.String()), "\n") {
		if strings.Contains(line, "audit head signed") {
			last = line
		}
	}
	got, err := ParseHead(last)
	if err != nil {
		t.Fatalf("parse %q: %v", last, err)
	}
	if got.String() != want.String() {
		t.Fatalf("head from the log line %v, want %v", got, want)
	}
	for _, bad := range []string{"", "yimen-audit-head-v2 seq=1", "yimen-audit-head-v2 seq=x row=1 at=1 mac=00 prev= sig=AA==", want.String()[:40]} {
		if _, err := ParseHead(bad); err == nil {
			t.Errorf("ParseHead(%q) accepted", bad)
		}
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add("yimen-audit-head-v2 seq=1 row=2 at=3 mac=00ff prev= sig=AA==")
	f.Add(`msg="audit head signed" head="yimen-audit-head-v2 seq=9 row=1 at=1 mac=ab prev=cd sig=AQ=="`)
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHead(s)
		if err != nil {
			return
		}
		again, err := ParseHead(h.String())
		if err != nil || again.String() != h.String() {
			t.Fatalf("head %q does not round-trip: %v", h.String(), err)
		}
	})
}
