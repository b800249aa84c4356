package calendar

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"go.yaml.in/yaml/v3"
)

// maxHolidayDays bounds one holiday's span; the longest Chinese break is nine
// days, so a longer one is a typo in a date.
const maxHolidayDays = 31

// fileError names a calendar file and line.
type fileError struct {
	file string
	line int
	msg  string
}

func (e *fileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.file, e.msg)
}

func (e *fileError) Unwrap() error { return errs.ErrInvalid }

// yearFile is one parsed data file before it is merged.
type yearFile struct {
	file     string
	name     string
	year     int
	zone     string
	zoneLine int
	days     map[int32]dayInfo
	lines    map[int32]int // where each date was declared, for clash messages
}

// Load reads every *.yaml file in dir of fsys as one calendar (one file per
// year) and checks it: dates well-formed and inside the file's year, make-up
// days on weekends, no date declared twice. Errors name file:line and wrap
// errs.ErrInvalid; all of them are reported at once.
func Load(fsys fs.FS, dir string) (*Calendar, error) {
	all, err := LoadAll(fsys, dir)
	if err != nil {
		return nil, err
	}
	if len(all) > 1 {
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("%s: %w: files declare several calendars (%s); use LoadAll", dir, errs.ErrInvalid, strings.Join(names, ", "))
	}
	for _, c := range all {
		return c, nil
	}
	return nil, fmt.Errorf("%s: %w: no calendar files (*.yaml)", dir, errs.ErrNotFound)
}

// LoadAll reads every *.yaml file in dir of fsys and groups them by the
// calendar name they declare, e.g. "cn" for cn-2025.yaml and cn-2026.yaml.
// An empty dir yields an empty map.
func LoadAll(fsys fs.FS, dir string) (map[string]*Calendar, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	var files []*yearFile
	var problems []error
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		p := path.Join(dir, n)
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			problems = append(problems, fmt.Errorf("calendar: %w", err))
			continue
		}
		yf, errList := parseFile(p, data)
		problems = append(problems, errList...)
		if yf != nil {
			files = append(files, yf)
		}
	}
	out, errList := merge(files)
	problems = append(problems, errList...)
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return out, nil
}

// merge joins year files into calendars, rejecting repeated years and dates.
func merge(files []*yearFile) (map[string]*Calendar, []error) {
	var problems []error
	out := map[string]*Calendar{}
	seenYear := map[string]map[int]string{}
	owner := map[string]map[int32]*yearFile{}
	for _, f := range files {
		c := out[f.name]
		if c == nil {
			loc, err := LoadZone(f.zone)
			if err != nil {
				problems = append(problems, &fileError{f.file, f.zoneLine, fmt.Sprintf("unknown zone %q", f.zone)})
				continue
			}
			c = &Calendar{name: f.name, zone: f.zone, loc: loc, days: map[int32]dayInfo{}}
			out[f.name] = c
			seenYear[f.name] = map[int]string{}
			owner[f.name] = map[int32]*yearFile{}
		} else if c.zone != f.zone {
			problems = append(problems, &fileError{f.file, f.zoneLine, fmt.Sprintf("zone %q differs from %q used by the other %q files", f.zone, c.zone, f.name)})
			continue
		}
		if prev, dup := seenYear[f.name][f.year]; dup {
			problems = append(problems, &fileError{f.file, 0, fmt.Sprintf("year %d of calendar %q is also in %s", f.year, f.name, prev)})
			continue
		}
		seenYear[f.name][f.year] = f.file
		c.years = append(c.years, f.year)
		for _, k := range slices.Sorted(maps.Keys(f.days)) {
			d := f.days[k]
			if o := owner[f.name][k]; o != nil {
				problems = append(problems, &fileError{f.file, f.lines[k], fmt.Sprintf("%s is also declared in %s:%d", keyString(k), o.file, o.lines[k])})
				continue
			}
			owner[f.name][k] = f
			c.days[k] = d
		}
	}
	for _, c := range out {
		slices.Sort(c.years)
	}
	return out, problems
}

// parseFile reads one year file. It walks the YAML node tree by hand so that
// every message can name the line it is about.
func parseFile(file string, data []byte) (*yearFile, []error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, []error{&fileError{file, 0, strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	if len(root.Content) == 0 {
		return nil, []error{&fileError{file, 0, "empty file"}}
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, []error{&fileError{file, top.Line, "want a mapping with calendar, year and holidays"}}
	}
	p := &fileParser{file: file}
	yf := &yearFile{file: file, zone: DefaultZone, days: map[int32]dayInfo{}, lines: map[int32]int{}}
	var holidays *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "calendar":
			yf.name = p.name(v)
		case "year":
			yf.year = p.year(v)
		case "zone":
			yf.zone, yf.zoneLine = p.scalar(v), v.Line
		case "source":
			p.scalar(v)
		case "holidays":
			holidays = v
		default:
			p.errf(k.Line, "unknown key %q (want calendar, year, zone, source, holidays)", k.Value)
		}
	}
	if yf.name == "" {
		p.errf(top.Line, "missing calendar (a name such as cn)")
	}
	if yf.year == 0 {
		p.errf(top.Line, "missing year")
	}
	if holidays == nil {
		p.errf(top.Line, "missing holidays")
	} else if yf.year != 0 {
		p.holidays(holidays, yf)
	}
	if len(p.problems) > 0 {
		return nil, p.problems
	}
	return yf, nil
}

type fileParser struct {
	file     string
	problems []error
}

func (p *fileParser) errf(line int, format string, args ...any) {
	p.problems = append(p.problems, &fileError{p.file, line, fmt.Sprintf(format, args...)})
}

func (p *fileParser) scalar(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		p.errf(n.Line, "want a single value")
		return ""
	}
	return n.Value
}

func (p *fileParser) name(n *yaml.Node) string {
	s := p.scalar(n)
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			p.errf(n.Line, "calendar name %q: use lower-case letters, digits and _", s)
			return ""
		}
	}
	return s
}

func (p *fileParser) year(n *yaml.Node) int {
	s := p.scalar(n)
	var y int
	if _, err := fmt.Sscanf(s, "%4d", &y); err != nil || len(s) != 4 || y < 1990 || y > 2200 {
		p.errf(n.Line, "year %q: want a year such as 2026", s)
		return 0
	}
	return y
}

func (p *fileParser) date(n *yaml.Node) (time.Time, bool) {
	s := p.scalar(n)
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		p.errf(n.Line, "date %q: want YYYY-MM-DD", s)
		return time.Time{}, false
	}
	return t, true
}

func (p *fileParser) holidays(seq *yaml.Node, yf *yearFile) {
	if seq.Kind != yaml.SequenceNode {
		p.errf(seq.Line, "holidays: want a list")
		return
	}
	for _, h := range seq.Content {
		if h.Kind != yaml.MappingNode {
			p.errf(h.Line, "holiday: want name, from, to and makeup")
			continue
		}
		p.holiday(h, yf)
	}
}

func (p *fileParser) holiday(h *yaml.Node, yf *yearFile) {
	var name string
	var from, to time.Time
	var fromNode, toNode, makeup *yaml.Node
	for i := 0; i+1 < len(h.Content); i += 2 {
		k, v := h.Content[i], h.Content[i+1]
		switch k.Value {
		case "name":
			name = strings.TrimSpace(p.scalar(v))
		case "from":
			fromNode = v
		case "to":
			toNode = v
		case "makeup":
			makeup = v
		default:
			p.errf(k.Line, "unknown key %q (want name, from, to, makeup)", k.Value)
		}
	}
	if name == "" {
		p.errf(h.Line, "holiday without a name")
		return
	}
	if fromNode == nil {
		p.errf(h.Line, "holiday %s: missing from", name)
		return
	}
	ok := true
	from, ok = p.date(fromNode)
	to = from
	if toNode != nil {
		var ok2 bool
		to, ok2 = p.date(toNode)
		ok = ok && ok2
	}
	if !ok {
		return
	}
	line := fromNode.Line
	switch {
	case from.Year() != yf.year || to.Year() != yf.year:
		p.errf(line, "holiday %s: %s … %s is outside year %d", name, from.Format(time.DateOnly), to.Format(time.DateOnly), yf.year)
		return
	case to.Before(from):
		p.errf(line, "holiday %s: to %s is before from %s", name, to.Format(time.DateOnly), from.Format(time.DateOnly))
		return
	case to.Sub(from) >= maxHolidayDays*24*time.Hour:
		p.errf(line, "holiday %s: longer than %d days; check the dates", name, maxHolidayDays)
		return
	}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		p.put(yf, d, line, dayInfo{kind: kindHoliday, name: name})
	}
	if makeup == nil {
		return
	}
	if makeup.Kind != yaml.SequenceNode {
		p.errf(makeup.Line, "holiday %s: makeup: want a list of dates", name)
		return
	}
	for _, n := range makeup.Content {
		d, ok := p.date(n)
		if !ok {
			continue
		}
		if y := d.Year(); y < yf.year-1 || y > yf.year+1 {
			p.errf(n.Line, "holiday %s: make-up day %s is far from year %d", name, d.Format(time.DateOnly), yf.year)
			continue
		}
		if !isWeekend(d.Weekday()) {
			p.errf(n.Line, "holiday %s: make-up day %s is a %s; only a Saturday or Sunday can be made a workday", name, d.Format(time.DateOnly), d.Weekday())
			continue
		}
		p.put(yf, d, n.Line, dayInfo{kind: kindMakeup, name: name})
	}
}

func (p *fileParser) put(yf *yearFile, d time.Time, line int, info dayInfo) {
	k := dateKeyOf(d)
	if prev, dup := yf.days[k]; dup {
		p.errf(line, "%s is declared twice (also for %s at line %d)", d.Format(time.DateOnly), prev.name, yf.lines[k])
		return
	}
	yf.days[k] = info
	yf.lines[k] = line
}

func keyString(k int32) string {
	return fmt.Sprintf("%04d-%02d-%02d", k/10000, k/100%100, k%100)
}
