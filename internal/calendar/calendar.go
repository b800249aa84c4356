package calendar

import (
	"slices"
	"time"
)

// DefaultZone is the zone a calendar uses when its files name none.
const DefaultZone = "Asia/Shanghai"

// dayKind says what a listed date is; dates not listed follow the weekday.
type dayKind uint8

const (
	kindHoliday dayKind = iota + 1
	kindMakeup
)

type dayInfo struct {
	kind dayKind
	name string // holiday name; for a make-up day, the holiday it serves
}

// Calendar is one region's holidays and make-up workdays over the years its
// files cover. It is immutable after Load and safe for concurrent use.
type Calendar struct {
	name  string
	zone  string // as the files name it; loc may be a fallback for it
	loc   *time.Location
	days  map[int32]dayInfo // key: dateKey
	years []int
}

// Name is the calendar's name as its files declare it, e.g. "cn".
func (c *Calendar) Name() string { return c.name }

// Location is the zone in which the calendar's dates are civil dates.
func (c *Calendar) Location() *time.Location { return c.loc }

// Years lists the years the calendar has data for, ascending; outside them
// every weekday is a workday and every weekend day is not.
func (c *Calendar) Years() []int { return slices.Clone(c.years) }

// Covers reports whether the calendar has data for year.
func (c *Calendar) Covers(year int) bool {
	_, ok := slices.BinarySearch(c.years, year)
	return ok
}

// IsHoliday reports whether t's date (in the calendar's zone) is a declared
// holiday, and its name. A nil calendar has no holidays.
func (c *Calendar) IsHoliday(t time.Time) (name string, ok bool) {
	if c == nil {
		return "", false
	}
	d := c.days[dateKeyOf(t.In(c.loc))]
	return d.name, d.kind == kindHoliday
}

// IsMakeupWorkday reports whether t's date is a weekend day declared a workday.
func (c *Calendar) IsMakeupWorkday(t time.Time) bool {
	if c == nil {
		return false
	}
	return c.days[dateKeyOf(t.In(c.loc))].kind == kindMakeup
}

// IsWorkday reports whether t's date is a working day: a weekday unless it is
// a holiday, a weekend day only if it is a make-up workday. A nil calendar
// uses t's own zone and the plain weekday rule.
func (c *Calendar) IsWorkday(t time.Time) bool {
	if c != nil {
		t = t.In(c.loc)
	}
	switch c.kind(dateKeyOf(t)) {
	case kindHoliday:
		return false
	case kindMakeup:
		return true
	}
	return !isWeekend(t.Weekday())
}

// kind looks a date up; nil-safe so callers need not branch.
func (c *Calendar) kind(k int32) dayKind {
	if c == nil {
		return 0
	}
	return c.days[k].kind
}

// zoneFor is the location instants are read in: the calendar's, else t's own.
func (c *Calendar) zoneFor(t time.Time) *time.Location {
	if c == nil {
		return t.Location()
	}
	return c.loc
}

func isWeekend(d time.Weekday) bool { return d == time.Saturday || d == time.Sunday }

// dateKey packs a civil date as yyyymmdd; it sorts like the date.
func dateKey(y int, m time.Month, d int) int32 { return int32(y*10000 + int(m)*100 + d) }

func dateKeyOf(t time.Time) int32 {
	y, m, d := t.Date()
	return dateKey(y, m, d)
}

// LoadZone returns the named zone, or for Asia/Shanghai a fixed UTC+8 zone
// when the system has no tzdata: China has kept UTC+8 without DST since 1991.
func LoadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, nil
	}
	if name == DefaultZone {
		return time.FixedZone("CST", 8*3600), nil
	}
	return nil, err
}
