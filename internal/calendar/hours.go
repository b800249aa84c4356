package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// minutesPerDay is 24:00, the only end time that is not a clock reading.
const minutesPerDay = 24 * 60

// maxHoursLen bounds an hours expression; real ones are a line long.
const maxHoursLen = 4096

// span is an opening interval in minutes since midnight, from < to <= 24:00.
type span struct{ from, to int32 }

// Hours is a weekly opening pattern parsed from an expression such as
// "mon-fri 09:00-12:00,13:30-17:30; sat 09:00-12:00". The zero Hours is
// never open. Hours is immutable and safe to share.
type Hours struct {
	week [7][]span // by time.Weekday
}

// dayNames holds the three-letter names in time.Weekday order.
const dayNames = "sunmontuewedthufrisat"

func dayName(d time.Weekday) string { return dayNames[3*d : 3*d+3] }

// ParseHours parses an hours expression. Grammar (case-insensitive):
//
//	hours = "24x7" | "closed" | rule { ";" rule }
//	rule  = days range { [","] range }
//	days  = day [ "-" day ] { "," day [ "-" day ] } | "daily"
//	day   = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun"
//	range = HH:MM "-" HH:MM        (end after start; 24:00 allowed as end)
//
// A day range may wrap ("fri-mon"). Overlapping ranges on a day merge.
// Errors wrap errs.ErrInvalid and quote the offending part.
func ParseHours(s string) (Hours, error) {
	var h Hours
	if len(s) > maxHoursLen {
		return h, hoursErr(s[:32]+"…", "longer than %d bytes", maxHoursLen)
	}
	src := strings.ToLower(strings.TrimSpace(s))
	switch src {
	case "":
		return h, hoursErr(s, "empty; write e.g. \"mon-fri 09:00-17:30\", \"24x7\" or \"closed\"")
	case "closed":
		return h, nil
	case "24x7":
		for d := range h.week {
			h.week[d] = []span{{0, minutesPerDay}}
		}
		return h, nil
	}
	rules := 0
	for _, rule := range strings.FieldsFunc(src, func(r rune) bool { return r == ';' || r == '\n' }) {
		if strings.TrimSpace(rule) == "" {
			continue
		}
		if err := h.addRule(rule); err != nil {
			return Hours{}, hoursErr(s, "%s", err.Error())
		}
		rules++
	}
	if rules == 0 {
		return h, hoursErr(s, "no rules")
	}
	for d := range h.week {
		h.week[d] = normalize(h.week[d])
	}
	return h, nil
}

func hoursErr(s, format string, args ...any) error {
	return fmt.Errorf("%w hours %q: %s", errs.ErrInvalid, s, fmt.Sprintf(format, args...))
}

func (h *Hours) addRule(rule string) error {
	fields := strings.FieldsFunc(rule, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' })
	var days [7]bool
	i, ndays := 0, 0
	for ; i < len(fields) && !isDigit(fields[i][0]); i++ {
		if err := markDays(fields[i], &days); err != nil {
			return err
		}
		ndays++
	}
	if ndays == 0 {
		return fmt.Errorf("rule %q starts without days; write e.g. \"mon-fri 09:00-17:30\"", strings.TrimSpace(rule))
	}
	if i == len(fields) {
		return fmt.Errorf("rule %q has days but no times such as 09:00-17:30", strings.TrimSpace(rule))
	}
	var spans []span
	for ; i < len(fields); i++ {
		sp, err := ParseClockRange(fields[i])
		if err != nil {
			return err
		}
		if sp[1] <= sp[0] {
			if sp[1] == sp[0] {
				return fmt.Errorf("%q is empty", fields[i])
			}
			return fmt.Errorf("%q ends before it starts; split overnight hours across two days (e.g. 22:00-24:00 and 00:00-06:00)", fields[i])
		}
		spans = append(spans, span{int32(sp[0]), int32(sp[1])})
	}
	for d, on := range days {
		if on {
			h.week[d] = append(h.week[d], spans...)
		}
	}
	return nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// markDays sets the days named by one item: "mon", "mon-fri" or "daily".
func markDays(item string, days *[7]bool) error {
	if item == "daily" {
		for d := range days {
			days[d] = true
		}
		return nil
	}
	a, b, isRange := strings.Cut(item, "-")
	from, ok := ParseWeekday(a)
	if !ok {
		return fmt.Errorf("day %q is not one of mon tue wed thu fri sat sun", a)
	}
	to := from
	if isRange {
		if to, ok = ParseWeekday(b); !ok {
			return fmt.Errorf("day %q is not one of mon tue wed thu fri sat sun", b)
		}
	}
	for d := from; ; d = (d + 1) % 7 {
		days[d] = true
		if d == to {
			return nil
		}
	}
}

// ParseWeekday reads a three-letter day name (mon … sun), any case.
func ParseWeekday(s string) (time.Weekday, bool) {
	if len(s) != 3 {
		return 0, false
	}
	s = strings.ToLower(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		if dayName(d) == s {
			return d, true
		}
	}
	return 0, false
}

// ParseClock reads "HH:MM" (or "H:MM") as minutes since midnight; "24:00"
// is accepted as the end of the day.
func ParseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	h, m := 0, 0
	for i := 0; i < len(hh); i++ {
		if !isDigit(hh[i]) {
			return 0, fmt.Errorf("time %q is not HH:MM", s)
		}
		h = h*10 + int(hh[i]-'0')
	}
	for i := 0; i < 2; i++ {
		if !isDigit(mm[i]) {
			return 0, fmt.Errorf("time %q is not HH:MM", s)
		}
		m = m*10 + int(mm[i]-'0')
	}
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("time %q is not a time of day", s)
	}
	return h*60 + m, nil
}

// ParseClockRange reads "HH:MM-HH:MM" as two minute counts. It does not
// require the end to follow the start: callers decide whether overnight
// ranges make sense for them.
func ParseClockRange(s string) ([2]int, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return [2]int{}, fmt.Errorf("%q is not a time range HH:MM-HH:MM", s)
	}
	from, err := ParseClock(a)
	if err != nil {
		return [2]int{}, err
	}
	to, err := ParseClock(b)
	if err != nil {
		return [2]int{}, err
	}
	if from == minutesPerDay {
		return [2]int{}, fmt.Errorf("%q starts at 24:00; write 00:00", s)
	}
	return [2]int{from, to}, nil
}

// normalize sorts spans and merges overlapping or touching ones.
func normalize(in []span) []span {
	if len(in) == 0 {
		return nil
	}
	slices.SortFunc(in, func(a, b span) int { return int(a.from - b.from) })
	out := in[:1]
	for _, s := range in[1:] {
		last := &out[len(out)-1]
		if s.from <= last.to {
			last.to = max(last.to, s.to)
			continue
		}
		out = append(out, s)
	}
	return slices.Clip(out)
}

// IsZero reports whether h is never open.
func (h Hours) IsZero() bool {
	for _, d := range h.week {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

// makeupDay is the weekday whose hours a make-up Saturday or Sunday keeps:
// the first of Monday to Friday that has any. The official notice names no
// particular weekday, and hotlines keep the same hours on all of them.
func (h Hours) makeupDay() time.Weekday {
	for d := time.Monday; d <= time.Friday; d++ {
		if len(h.week[d]) > 0 {
			return d
		}
	}
	return time.Monday
}

// String renders h in canonical form; ParseHours(h.String()) equals h.
func (h Hours) String() string {
	if h.IsZero() {
		return "closed"
	}
	var b strings.Builder
	done := [7]bool{}
	order := [7]time.Weekday{1, 2, 3, 4, 5, 6, 0}
	for i, d := range order {
		if done[i] || len(h.week[d]) == 0 {
			continue
		}
		var same [7]bool // by position in order
		for j := i; j < 7; j++ {
			if !done[j] && slices.Equal(h.week[order[j]], h.week[d]) {
				same[j], done[j] = true, true
			}
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		writeDays(&b, same, order)
		for k, s := range h.week[d] {
			if k == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%02d:%02d-%02d:%02d", s.from/60, s.from%60, s.to/60, s.to%60)
		}
	}
	return b.String()
}

// writeDays writes the marked positions as runs: "mon-fri,sun".
func writeDays(b *strings.Builder, on [7]bool, order [7]time.Weekday) {
	first := true
	for i := 0; i < 7; i++ {
		if !on[i] {
			continue
		}
		j := i
		for j+1 < 7 && on[j+1] {
			j++
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(dayName(order[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(dayName(order[j]))
		}
		i = j
	}
}
