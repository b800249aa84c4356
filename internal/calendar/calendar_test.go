package calendar

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// cst is UTC+8; tests build instants with it so they do not depend on tzdata.
var cst = time.FixedZone("CST", 8*3600)

func at8(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func shipped(t testing.TB) *Calendar {
	t.Helper()
	c, err := Load(os.DirFS("../../configs"), "calendars")
	if err != nil {
		t.Fatalf("load shipped calendars: %v", err)
	}
	return c
}

func TestShippedCalendarsCoverBothYears(t *testing.T) {
	c := shipped(t)
	if c.Name() != "cn" || !c.Covers(2025) || !c.Covers(2026) || c.Covers(2027) {
		t.Fatalf("name %q years %v", c.Name(), c.Years())
	}
	if got := c.Location().String(); got != DefaultZone && got != "CST" {
		t.Fatalf("zone %s", got)
	}
}

func TestIsHolidayAndWorkday(t *testing.T) {
	c := shipped(t)
	cases := []struct {
		when    string
		holiday string // "" = not a holiday
		workday bool
	}{
		{"2026-02-18 10:00", "春节", false},      // Wednesday in Spring Festival
		{"2026-02-14 10:00", "", true},         // make-up Saturday
		{"2026-02-28 10:00", "", true},         // make-up Saturday
		{"2026-10-10 10:00", "", true},         // make-up Saturday after National Day
		{"2026-09-20 10:00", "", true},         // make-up Sunday
		{"2026-10-07 10:00", "国庆节", false},     // last day of National Day
		{"2026-10-08 10:00", "", true},         // ordinary Thursday
		{"2026-03-07 10:00", "", false},        // ordinary Saturday
		{"2026-03-08 10:00", "", false},        // ordinary Sunday
		{"2026-01-04 10:00", "", true},         // make-up Sunday for New Year
		{"2025-01-26 10:00", "", true},         // 2025 make-up Sunday
		{"2025-10-08 23:59", "国庆节、中秋节", false}, // 2025 combined break
		{"2025-10-09 00:00", "", true},
	}
	for _, tc := range cases {
		tm := at8(tc.when)
		name, ok := c.IsHoliday(tm)
		if ok != (tc.holiday != "") || name != tc.holiday && ok {
			t.Errorf("%s: IsHoliday = %q,%v; want %q", tc.when, name, ok, tc.holiday)
		}
		if got := c.IsWorkday(tm); got != tc.workday {
			t.Errorf("%s: IsWorkday = %v, want %v", tc.when, got, tc.workday)
		}
	}
}

func TestDateIsReadInCalendarZone(t *testing.T) {
	c := shipped(t)
	// 2026-02-14 17:00 UTC is already 2026-02-15 01:00 in Beijing: a holiday.
	if _, ok := c.IsHoliday(time.Date(2026, 2, 14, 17, 0, 0, 0, time.UTC)); !ok {
		t.Fatal("UTC instant not read as a Beijing date")
	}
	if !OpenAt(time.Date(2026, 2, 14, 2, 0, 0, 0, time.UTC), mustHours(t, "mon-fri 09:00-17:30"), c) {
		t.Fatal("02:00 UTC is 10:00 CST on a make-up Saturday: want open")
	}
}

func TestNilCalendarIsPlainWeek(t *testing.T) {
	var c *Calendar
	if _, ok := c.IsHoliday(at8("2026-02-18 10:00")); ok {
		t.Fatal("nil calendar has a holiday")
	}
	if !c.IsWorkday(at8("2026-02-18 10:00")) || c.IsWorkday(at8("2026-02-14 10:00")) {
		t.Fatal("nil calendar does not follow the weekday rule")
	}
	h := mustHours(t, "mon-fri 09:00-17:30")
	if !OpenAt(at8("2026-02-18 10:00"), h, nil) || OpenAt(at8("2026-02-14 10:00"), h, nil) {
		t.Fatal("OpenAt with nil calendar ignores weekdays")
	}
}

func TestOpenAt(t *testing.T) {
	c := shipped(t)
	h := mustHours(t, "mon-fri 09:00-17:30; sat 09:00-12:00")
	cases := []struct {
		when string
		open bool
	}{
		{"2026-02-18 10:00", false}, // holiday Wednesday
		{"2026-02-14 10:00", true},  // make-up Saturday
		{"2026-02-14 15:00", true},  // ...with weekday hours, not Saturday's
		{"2026-10-10 10:00", true},  // make-up Saturday
		{"2026-10-10 17:29", true},
		{"2026-10-10 17:30", false}, // closing instant is closed
		{"2026-09-20 16:00", true},  // make-up Sunday
		{"2026-03-07 10:00", true},  // ordinary Saturday: Saturday hours
		{"2026-03-07 12:00", false},
		{"2026-03-08 10:00", false}, // ordinary Sunday
		{"2026-03-09 08:59", false},
		{"2026-03-09 09:00", true},
		{"2026-10-03 10:00", false}, // holiday Saturday stays closed
	}
	for _, tc := range cases {
		if got := OpenAt(at8(tc.when), h, c); got != tc.open {
			t.Errorf("%s: OpenAt = %v, want %v", tc.when, got, tc.open)
		}
	}
	weekdays := mustHours(t, "mon-fri 09:00-17:30")
	if OpenAt(at8("2026-03-07 10:00"), weekdays, c) {
		t.Error("ordinary Saturday open with weekday-only hours")
	}
}

func TestMakeupDayUsesFirstWeekdayWithHours(t *testing.T) {
	c := shipped(t)
	h := mustHours(t, "tue-fri 13:00-14:00")
	if !OpenAt(at8("2026-02-14 13:30"), h, c) || OpenAt(at8("2026-02-14 10:00"), h, c) {
		t.Fatal("make-up Saturday should take Tuesday's hours when Monday has none")
	}
}

func TestBusinessDurationAcrossSpringFestival(t *testing.T) {
	c := shipped(t)
	h := mustHours(t, "mon-fri 09:00-17:30")
	// Fri 13th 16:00-17:30 (1h30) + make-up Sat 14th (8h30) + nine days off
	// + Tue 24th 09:00-10:00 (1h) = 11h.
	from, to := at8("2026-02-13 16:00"), at8("2026-02-24 10:00")
	if got := BusinessDuration(from, to, h, c); got != 11*time.Hour {
		t.Fatalf("BusinessDuration = %v, want 11h", got)
	}
	if got := AddBusiness(from, 11*time.Hour, h, c); !got.Equal(to) {
		t.Fatalf("AddBusiness = %v, want %v", got, to)
	}
	// One hour left at 17:00 on the make-up Saturday: 30 min that evening,
	// the rest after the break.
	if got, want := AddBusiness(at8("2026-02-14 17:00"), time.Hour, h, c), at8("2026-02-24 09:30"); !got.Equal(want) {
		t.Fatalf("AddBusiness = %v, want %v", got, want)
	}
	// Starting inside the holiday counts nothing until it ends.
	if got := BusinessDuration(at8("2026-02-16 09:00"), at8("2026-02-23 18:00"), h, c); got != 0 {
		t.Fatalf("holiday week has %v of business time", got)
	}
	if got := BusinessDuration(to, from, h, c); got != 0 {
		t.Fatalf("reversed interval = %v, want 0", got)
	}
}

func TestAddBusinessEdges(t *testing.T) {
	c := shipped(t)
	h := mustHours(t, "mon-fri 09:00-12:00,13:00-17:30")
	from := at8("2026-03-09 09:00") // Monday
	if got, want := AddBusiness(from, 7*time.Hour+30*time.Minute, h, c), at8("2026-03-09 17:30"); !got.Equal(want) {
		t.Fatalf("exactly a day: %v, want closing time %v", got, want)
	}
	if got, want := AddBusiness(from, 3*time.Hour+time.Minute, h, c), at8("2026-03-09 13:01"); !got.Equal(want) {
		t.Fatalf("across lunch: %v, want %v", got, want)
	}
	if got := AddBusiness(from, 0, h, c); !got.Equal(from) {
		t.Fatalf("zero duration moved to %v", got)
	}
	if got := AddBusiness(from, time.Hour, Hours{}, c); !got.IsZero() {
		t.Fatalf("never-open hours gave %v, want zero Time", got)
	}
	// Friday evening: the next minute of business is Monday morning.
	if got, want := AddBusiness(at8("2026-03-13 20:00"), time.Minute, h, c), at8("2026-03-16 09:01"); !got.Equal(want) {
		t.Fatalf("over the weekend: %v, want %v", got, want)
	}
}

func TestAddBusinessInvertsBusinessDuration(t *testing.T) {
	c := shipped(t)
	h := mustHours(t, "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00")
	start := at8("2025-12-20 07:13")
	// Deterministic walk over starts and durations spanning both years' breaks.
	for i := 0; i < 400; i++ {
		from := start.Add(time.Duration(i*i%9973) * 37 * time.Minute)
		d := time.Duration(i%97+1) * 53 * time.Minute
		end := AddBusiness(from, d, h, c)
		if got := BusinessDuration(from, end, h, c); got != d {
			t.Fatalf("from %v + %v = %v, but BusinessDuration gives %v", from, d, end, got)
		}
	}
}

func mustHours(t testing.TB, s string) Hours {
	t.Helper()
	h, err := ParseHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	good := "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2026-01-01\n"
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"bad date", map[string]string{"cn-2026.yaml": "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2026-13-01\n"},
			[]string{`cal/cn-2026.yaml:5: date "2026-13-01": want YYYY-MM-DD`}},
		{"weekday make-up", map[string]string{"cn-2026.yaml": "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2026-01-01\n    makeup: [2026-01-05]\n"},
			[]string{`cal/cn-2026.yaml:6: holiday a: make-up day 2026-01-05 is a Monday; only a Saturday or Sunday can be made a workday`}},
		{"outside year", map[string]string{"cn-2026.yaml": "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2025-12-31\n"},
			[]string{`cal/cn-2026.yaml:5: holiday a: 2025-12-31 … 2025-12-31 is outside year 2026`}},
		{"twice", map[string]string{"cn-2026.yaml": "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2026-01-01\n    to: 2026-01-03\n  - name: b\n    from: 2026-01-03\n"},
			[]string{`cal/cn-2026.yaml:8: 2026-01-03 is declared twice (also for a at line 5)`}},
		{"unknown key and missing year", map[string]string{"cn-2026.yaml": "calendar: cn\nyeer: 2026\nholidays: []\n"},
			[]string{`cal/cn-2026.yaml:2: unknown key "yeer"`, `cal/cn-2026.yaml:1: missing year`}},
		{"backwards", map[string]string{"cn-2026.yaml": "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2026-01-03\n    to: 2026-01-01\n"},
			[]string{`cal/cn-2026.yaml:5: holiday a: to 2026-01-01 is before from 2026-01-03`}},
		{"same year twice", map[string]string{"a.yaml": good, "b.yaml": strings.Replace(good, "2026-01-01", "2026-01-02", 1)},
			[]string{`cal/b.yaml: year 2026 of calendar "cn" is also in cal/a.yaml`}},
		{"two calendars", map[string]string{"cn.yaml": good, "hk.yaml": strings.Replace(good, "cn", "hk", 1)},
			[]string{`several calendars (cn, hk); use LoadAll`}},
		{"not yaml", map[string]string{"cn.yaml": "calendar: [\n"}, []string{`cal/cn.yaml: `}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, body := range tc.files {
				fsys["cal/"+n] = &fstest.MapFile{Data: []byte(body)}
			}
			_, err := Load(fsys, "cal")
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadAllGroupsByName(t *testing.T) {
	good := "calendar: cn\nyear: 2026\nholidays:\n  - name: a\n    from: 2026-01-01\n"
	fsys := fstest.MapFS{
		"c/cn.yaml":    {Data: []byte(good)},
		"c/hk.yml":     {Data: []byte(strings.Replace(good, "cn", "hk", 1))},
		"c/README.txt": {Data: []byte("ignored")},
	}
	all, err := LoadAll(fsys, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all["cn"] == nil || all["hk"] == nil {
		t.Fatalf("got %v", all)
	}
	if _, err := Load(fstest.MapFS{"e/x.txt": {}}, "e"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("empty dir: %v, want ErrNotFound", err)
	}
}
