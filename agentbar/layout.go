package agentbar

import (
	"context"
	"fmt"
	"slices"
)

// Tiles are the queue figures a wallboard can show, in display order.
var Tiles = []string{"waiting", "longest", "sl", "offered", "answered", "abandoned", "asa", "csat"}

// LayoutRoles are the roles a layout is kept for: the CTI roles that open
// the wallboard.
var LayoutRoles = []string{"supervisor", "wallboard", "system"}

// Layout is what a wallboard shows: which queue figures, the thresholds
// that colour them, and auto-paging.
type Layout struct {
	Tiles       []string   `json:"tiles"`
	Paging      bool       `json:"paging"`
	PageSeconds int        `json:"page_seconds"`
	Thresholds  Thresholds `json:"thresholds"`
}

// Thresholds colour a figure amber (Warn) or red (Crit).
type Thresholds struct {
	WaitingWarn   int     `json:"waiting_warn"`
	WaitingCrit   int     `json:"waiting_crit"`
	LongestWarnS  int     `json:"longest_warn_s"`
	LongestCritS  int     `json:"longest_crit_s"`
	SLWarn        float64 `json:"sl_warn"` // below: amber (0..1)
	SLCrit        float64 `json:"sl_crit"`
	NotReadyWarnS int     `json:"not_ready_warn_s"` // a break longer than this is outlined
}

// Validate names the first field that is wrong.
func (l Layout) Validate() error {
	if len(l.Tiles) == 0 {
		return fmt.Errorf("tiles: at least one of %v", Tiles)
	}
	seen := map[string]bool{}
	for _, t := range l.Tiles {
		if !slices.Contains(Tiles, t) {
			return fmt.Errorf("tiles: unknown %q (one of %v)", t, Tiles)
		}
		if seen[t] {
			return fmt.Errorf("tiles: %q twice", t)
		}
		seen[t] = true
	}
	if l.PageSeconds < 5 || l.PageSeconds > 300 {
		return fmt.Errorf("page_seconds: %d, want 5..300", l.PageSeconds)
	}
	th := l.Thresholds
	switch {
	case th.WaitingWarn < 1 || th.WaitingCrit < th.WaitingWarn:
		return fmt.Errorf("thresholds.waiting_warn/waiting_crit: %d/%d, want 1 ≤ warn ≤ crit", th.WaitingWarn, th.WaitingCrit)
	case th.LongestWarnS < 1 || th.LongestCritS < th.LongestWarnS:
		return fmt.Errorf("thresholds.longest_warn_s/longest_crit_s: %d/%d, want 1 ≤ warn ≤ crit", th.LongestWarnS, th.LongestCritS)
	case th.SLCrit < 0 || th.SLWarn > 1 || th.SLCrit > th.SLWarn:
		return fmt.Errorf("thresholds.sl_warn/sl_crit: %g/%g, want 0 ≤ crit ≤ warn ≤ 1", th.SLWarn, th.SLCrit)
	case th.NotReadyWarnS < 0:
		return fmt.Errorf("thresholds.not_ready_warn_s: %d, want ≥ 0", th.NotReadyWarnS)
	}
	return nil
}

// LayoutStore keeps one layout per tenant and role.
type LayoutStore interface {
	Layout(ctx context.Context, tenant, role string) (Layout, error) // errs.ErrNotFound when none was saved
	SaveLayout(ctx context.Context, tenant, role string, l Layout) error
}
