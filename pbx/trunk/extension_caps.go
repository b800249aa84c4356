package trunk

import (
	"fmt"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// Per-extension toll-fraud controls: calls out per minute and talk minutes
// per day for each extension, and the alarm a NOC watches for — one
// extension tripping several blocks in a short window (a phone whose
// password leaked, dialling abroad in a loop).
const (
	fraudBlocks = 3                // blocks …
	fraudWindow = 10 * time.Minute // … within this raise trunk.fraud_suspect, once per window
)

type extKey struct{ tenant, ext string }

// extUsage is what one extension did through trunks lately.
type extUsage struct {
	minute  *rateWindow
	day     int // yyyymmdd in Beijing time of talked
	talked  time.Duration
	blocks  []time.Time
	alarmed time.Time
}

// extensionCaps holds every extension's usage; entries are made on first use.
type extensionCaps struct {
	perMinute int
	perDay    time.Duration
	zone      *time.Location

	mu  sync.Mutex
	use map[extKey]*extUsage
}

func newExtensionCaps() *extensionCaps {
	zone, err := calendar.LoadZone(calendar.DefaultZone)
	if err != nil {
		zone = time.FixedZone("CST", 8*3600)
	}
	return &extensionCaps{zone: zone, use: map[extKey]*extUsage{}}
}

func (c *extensionCaps) usage(k extKey) *extUsage {
	u := c.use[k]
	if u == nil {
		u = &extUsage{minute: newRateWindow(time.Minute, 12)}
		c.use[k] = u
	}
	return u
}

func dayOf(t time.Time, zone *time.Location) int {
	y, m, d := t.In(zone).Date()
	return y*10000 + int(m)*100 + d
}

// take admits one call of ext under tt's per-extension caps, or names the
// cap it would break.
func (c *extensionCaps) take(tt *tenantTable, ext string, now time.Time) (bool, string) {
	if tt.extPerMinute == 0 && tt.extPerDay == 0 {
		return true, ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.usage(extKey{tt.name, ext})
	if tt.extPerDay > 0 && u.day == dayOf(now, c.zone) && u.talked >= tt.extPerDay {
		return false, "extension_minutes_per_day"
	}
	if tt.extPerMinute > 0 {
		if u.minute.count(now) >= tt.extPerMinute {
			return false, "extension_calls_per_minute"
		}
		u.minute.add(now)
	}
	return true, ""
}

// talked adds a finished call's talk time to ext's day.
func (c *extensionCaps) talked(tenant, ext string, d time.Duration, now time.Time) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.usage(extKey{tenant, ext})
	if day := dayOf(now, c.zone); u.day != day {
		u.day, u.talked = day, 0
	}
	u.talked += d
}

// blocked notes a refused attempt of ext and reports whether it makes
// fraudBlocks within fraudWindow (then the alarm is not raised again
// until the window has passed).
func (c *extensionCaps) blocked(tenant, ext string, now time.Time) (alarm bool, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.usage(extKey{tenant, ext})
	keep := u.blocks[:0]
	for _, b := range u.blocks {
		if now.Sub(b) < fraudWindow {
			keep = append(keep, b)
		}
	}
	u.blocks = append(keep, now)
	if len(u.blocks) >= fraudBlocks && now.Sub(u.alarmed) >= fraudWindow {
		u.alarmed = now
		return true, len(u.blocks)
	}
	return false, len(u.blocks)
}

func fraudDetail(ext string, n int) string {
	return fmt.Sprintf("extension %s had %d calls blocked within %s", ext, n, fraudWindow)
}
