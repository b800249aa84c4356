package agentbar

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

func goodLayout() Layout {
	return Layout{Tiles: []string{"waiting", "sl"}, Paging: true, PageSeconds: 15,
		Thresholds: Thresholds{WaitingWarn: 3, WaitingCrit: 6, LongestWarnS: 30, LongestCritS: 60, SLWarn: 0.8, SLCrit: 0.6, NotReadyWarnS: 900}}
}

func TestLayoutValidateNamesTheField(t *testing.T) {
	if err := goodLayout().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*Layout)
		want string
	}{
		{func(l *Layout) { l.Tiles = nil }, "tiles"},
		{func(l *Layout) { l.Tiles = []string{"waiting", "bogus"} }, `unknown "bogus"`},
		{func(l *Layout) { l.Tiles = []string{"sl", "sl"} }, `"sl" twice`},
		{func(l *Layout) { l.PageSeconds = 1 }, "page_seconds"},
		{func(l *Layout) { l.Thresholds.WaitingCrit = 2 }, "waiting_warn/waiting_crit"},
		{func(l *Layout) { l.Thresholds.LongestWarnS = 0 }, "longest_warn_s"},
		{func(l *Layout) { l.Thresholds.SLCrit = 0.9 }, "sl_warn/sl_crit"},
		{func(l *Layout) { l.Thresholds.SLWarn = 1.5 }, "sl_warn/sl_crit"},
		{func(l *Layout) { l.Thresholds.NotReadyWarnS = -1 }, "not_ready_warn_s"},
	} {
		l := goodLayout()
		tc.edit(&l)
		if err := l.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", l, err, tc.want)
		}
	}
}

func TestSQLLayoutsKeepOnePerTenantAndRole(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := NewSQLLayouts(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Layout(ctx, "demo", "supervisor"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("none saved: %v", err)
	}
	a, b := goodLayout(), goodLayout()
	b.Tiles = []string{"asa"}
	for _, step := range []struct {
		tenant, role string
		l            Layout
	}{{"demo", "supervisor", a}, {"demo", "wallboard", b}, {"other", "supervisor", b}, {"demo", "supervisor", b}} {
		if err := s.SaveLayout(ctx, step.tenant, step.role, step.l); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Layout(ctx, "demo", "supervisor"); len(got.Tiles) != 1 || got.Tiles[0] != "asa" {
		t.Fatalf("after the second save: %+v", got)
	}
	if _, err := NewSQLLayouts(ctx, db); err != nil { // a restart migrates nothing twice
		t.Fatal(err)
	}
	if got, _ := s.Layout(ctx, "demo", "wallboard"); got.Thresholds.SLWarn != 0.8 || !got.Paging {
		t.Fatalf("wallboard layout: %+v", got)
	}
}
