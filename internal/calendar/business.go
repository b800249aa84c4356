package calendar

import "time"

// maxClosedDays is how far AddBusiness looks for an opening before giving up:
// a year and a bit covers any holiday table plus a pattern open once a year.
const maxClosedDays = 400

// spansOn returns the opening intervals of the civil date of day (already in
// the right zone): none on a holiday, the weekday hours on a make-up weekend.
func spansOn(day time.Time, h Hours, cal *Calendar) []span {
	wd := day.Weekday()
	switch cal.kind(dateKeyOf(day)) {
	case kindHoliday:
		return nil
	case kindMakeup:
		if isWeekend(wd) {
			wd = h.makeupDay()
		}
	}
	return h.week[wd]
}

// OpenAt reports whether h is open at t, read in cal's zone: a holiday is
// closed whatever the weekday, and a make-up Saturday or Sunday keeps
// weekday (Monday–Friday) hours. A nil cal means no holidays, t's own zone.
func OpenAt(t time.Time, h Hours, cal *Calendar) bool {
	t = t.In(cal.zoneFor(t))
	m := int32(t.Hour()*60 + t.Minute())
	for _, s := range spansOn(t, h, cal) {
		if m >= s.from && m < s.to {
			return true
		}
	}
	return false
}

// midnight is the start of t's civil date in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// at is minute mins of the civil date that starts at day; 24:00 lands on the
// next date, and zones with DST get the wall clock they ask for.
func at(day time.Time, mins int32) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, int(mins), 0, 0, day.Location())
}

// BusinessDuration is the open time of h between from and to, honouring
// cal's holidays and make-up days; 0 if to is not after from. It is the
// elapsed part of an SLA clock.
func BusinessDuration(from, to time.Time, h Hours, cal *Calendar) time.Duration {
	if !to.After(from) || h.IsZero() {
		return 0
	}
	loc := cal.zoneFor(from)
	from, to = from.In(loc), to.In(loc)
	var total time.Duration
	for day := midnight(from, loc); day.Before(to); day = day.AddDate(0, 0, 1) {
		for _, s := range spansOn(day, h, cal) {
			a, b := at(day, s.from), at(day, s.to)
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				total += b.Sub(a)
			}
		}
	}
	return total
}

// AddBusiness returns the instant at which d of h's open time has passed
// since from, honouring cal; it is an SLA deadline. When the time runs out
// exactly at closing, the closing instant is returned. d <= 0 returns from;
// if h is never open within a year of searching, the zero Time is returned.
func AddBusiness(from time.Time, d time.Duration, h Hours, cal *Calendar) time.Time {
	if d <= 0 {
		return from
	}
	loc := cal.zoneFor(from)
	from = from.In(loc)
	closed := 0
	for day := midnight(from, loc); closed < maxClosedDays; day = day.AddDate(0, 0, 1) {
		spans := spansOn(day, h, cal)
		if len(spans) == 0 {
			closed++
			continue
		}
		closed = 0
		for _, s := range spans {
			a, b := at(day, s.from), at(day, s.to)
			if a.Before(from) {
				a = from
			}
			if !b.After(a) {
				continue
			}
			if avail := b.Sub(a); avail >= d {
				return a.Add(d)
			} else {
				d -= avail
			}
		}
	}
	return time.Time{}
}
