package oaboot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/yimen/yimen/internal/calendar"
)

// calendarLoader reads calendar name from the calendar files in dir, with
// a fingerprint of the files (names and contents) that changes whenever
// one is edited, added or removed: the OA checks it each SLA interval and
// recomputes running clocks when it changes (oa.Service.WatchCalendar).
// The files are parsed only when the fingerprint differs from the last
// one parsed; otherwise that calendar is answered again.
func calendarLoader(dir, name string) func() (*calendar.Calendar, string, error) {
	var lastSum string
	var lastCal *calendar.Calendar
	return func() (*calendar.Calendar, string, error) {
		fsys := os.DirFS(dir)
		h := sha256.New()
		var paths []string
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				paths = append(paths, p)
			}
			return err
		})
		if err != nil {
			return nil, "", fmt.Errorf("business.calendars: %w", err)
		}
		slices.Sort(paths)
		for _, p := range paths {
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return nil, "", fmt.Errorf("business.calendars: %w", err)
			}
			fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
			h.Write(b)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		if sum == lastSum {
			return lastCal, sum, nil
		}
		all, err := calendar.LoadAll(fsys, ".")
		if err != nil {
			return nil, "", fmt.Errorf("business.calendars: %w", err)
		}
		cal := all[name]
		if cal == nil {
			return nil, "", fmt.Errorf("business.calendar: no calendar %q in %s", name, dir)
		}
		lastSum, lastCal = sum, cal
		return cal, sum, nil
	}
}
