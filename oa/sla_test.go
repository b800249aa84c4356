package oa

import (
	"os"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

func cnCalendar(t testing.TB) *calendar.Calendar {
	t.Helper()
	cal, err := calendar.Load(os.DirFS("../configs"), "calendars")
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func hours(t testing.TB, s string) calendar.Hours {
	t.Helper()
	h, err := calendar.ParseHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The expected deadlines below are worked out by hand from the 2025/2026
// State Council notices (configs/calendars), not by the code under test.
func TestSLADeadlinesAcrossHolidays(t *testing.T) {
	cal := cnCalendar(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	std := hours(t, "mon-fri 09:00-17:30") // 8.5 h a workday
	for _, tc := range []struct {
		name, from, limit, want string
		h                       calendar.Hours
	}{
		// The example: Fri 02-13 16:00 has 1.5 h left, Sat 02-14 is
		// a make-up workday (8.5 h: 10 h so far), 02-15…02-23 are the Spring
		// Festival, Tue 02-24 09:00 + 7 h = 16:00.
		{"spring festival, two workdays", "2026-02-13 16:00", "2wd", "2026-02-24 16:00", std},
		// Accepted on the make-up Saturday itself at 10:00: 7.5 h that day,
		// the remaining 9.5 h after the holiday: Tue 02-24 full (8.5 h),
		// Wed 02-25 09:00 + 1 h.
		{"from the make-up Saturday", "2026-02-14 10:00", "2wd", "2026-02-25 10:00", std},
		// 4 business hours from Thu 04-30 15:00 (劳动节 05-01…05-05):
		// 2.5 h on Thursday, then Wed 05-06 09:00 + 1.5 h.
		{"labour day, four hours", "2026-04-30 15:00", "4h", "2026-05-06 10:30", std},
		// 国庆 2026: 10-01…10-07 off, Sat 10-10 a make-up day. From Wed
		// 09-30 17:00, one workday: 0.5 h on 09-30, Thu 10-08 full 8.5 h
		// would overshoot: 10-08 09:00 + 8 h = 17:00.
		{"national day, one workday", "2026-09-30 17:00", "1wd", "2026-10-08 17:00", std},
		// From Fri 10-09 17:00, one workday: 0.5 h on Friday, the make-up
		// Saturday 10-10 09:00 + 8 h = 17:00.
		{"national day make-up Saturday", "2026-10-09 17:00", "1wd", "2026-10-10 17:00", std},
		// New Year 2026: 01-01…01-03 off, Sun 01-04 a make-up day. From Wed
		// 12-31-2025 16:00, 3 h: 1.5 h on 12-31, Sun 01-04 09:00 + 1.5 h.
		{"new year, make-up Sunday", "2025-12-31 16:00", "3h", "2026-01-04 10:30", std},
		// Accepted outside hours (Sat 2026-03-07, an ordinary weekend):
		// the clock starts Monday 03-09 09:00; 2 h → 11:00.
		{"accepted on a weekend", "2026-03-07 11:00", "2h", "2026-03-09 11:00", std},
		// A split day (lunch break 12:00-13:30): one workday is 7 h. From
		// Mon 03-09 11:00: 1 h before lunch, 3.5 h after, the last 2.5 h
		// from Tue 03-10 08:30: 11:00.
		{"lunch break", "2026-03-09 11:00", "1wd", "2026-03-10 11:00", hours(t, "mon-fri 08:30-12:00,13:30-17:00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := StartClock(StepHandle, at(tc.from), SLAPolicy{Handle: tc.limit}, tc.h, cal)
			if !ok {
				t.Fatal("no clock")
			}
			if want := at(tc.want); !c.Due.Equal(want) {
				t.Errorf("due %s, want %s", c.Due.In(sh).Format("2006-01-02 15:04"), tc.want)
			}
		})
	}
}

func TestSLAWorkdayLengthAndWarning(t *testing.T) {
	if got := WorkdayLength(hours(t, "mon-fri 09:00-17:30")); got != 8*time.Hour+30*time.Minute {
		t.Errorf("workday %v, want 8h30m", got)
	}
	if got := WorkdayLength(hours(t, "mon-fri 08:30-12:00,13:30-17:00")); got != 7*time.Hour {
		t.Errorf("split workday %v, want 7h", got)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	from := time.Date(2026, 3, 9, 9, 0, 0, 0, sh) // Monday
	c, _ := StartClock(StepSign, from, SLAPolicy{Sign: "10h", Warn: 0.5}, hours(t, "mon-fri 09:00-17:30"), cnCalendar(t))
	// 5 h in: Mon 14:00. 10 h: Mon 8.5 h + Tue 1.5 h = Tue 10:30.
	if want := time.Date(2026, 3, 9, 14, 0, 0, 0, sh); !c.WarnAt.Equal(want) {
		t.Errorf("warn at %v, want %v", c.WarnAt, want)
	}
	if want := time.Date(2026, 3, 10, 10, 30, 0, 0, sh); !c.Due.Equal(want) {
		t.Errorf("due %v, want %v", c.Due, want)
	}
	for _, bad := range []string{"2x", "-1h", "0wd", "wd"} {
		if _, err := ParseLimit(bad, hours(t, "mon-fri 09:00-17:30")); err == nil {
			t.Errorf("ParseLimit(%q) accepted", bad)
		}
	}
}
