package ivr

import (
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// cond evaluates a condition against the call's variables and the clock.
func (r *run) cond(x Cond) bool {
	switch x := x.(type) {
	case *And:
		return r.cond(x.Left) && r.cond(x.Right)
	case *Or:
		return r.cond(x.Left) || r.cond(x.Right)
	case *Not:
		return !r.cond(x.X)
	case *Compare:
		return compare(x.Op, r.value(x.Left), r.value(x.Right))
	case *TimeOfDay:
		now := r.now()
		m := now.Hour()*60 + now.Minute()
		for _, rg := range x.Ranges {
			if rg[0] < rg[1] && m >= rg[0] && m < rg[1] || rg[0] > rg[1] && (m >= rg[0] || m < rg[1]) {
				return true
			}
		}
		return false
	case *Weekday:
		return x.Days[r.now().Weekday()]
	case *DateIn:
		y, mo, d := r.now().Date()
		day := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		for _, rg := range x.Ranges {
			if !day.Before(rg[0]) && !day.After(rg[1]) {
				return true
			}
		}
		return false
	case *Holiday:
		_, ok := r.set.Calendar(x.Calendar).IsHoliday(r.now())
		return ok
	case *Workday:
		return r.set.Calendar(x.Calendar).IsWorkday(r.now())
	case *Open:
		var cal *calendar.Calendar
		if x.Calendar != "" {
			cal = r.set.Calendar(x.Calendar)
		}
		return calendar.OpenAt(r.now(), x.Hours, cal) != x.Closed
	}
	return false
}

func (r *run) now() time.Time { return r.in.opt.Clock().In(r.in.opt.Location) }

// compare compares as integers when both sides are integers, else as strings.
func compare(op, a, b string) bool {
	c := 0
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		c = cmpInt(x, y)
	case a < b:
		c = -1
	case a > b:
		c = 1
	}
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
