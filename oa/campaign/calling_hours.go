package campaign

import (
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// callable says whether a campaign may place a call at t: never on a
// holiday of the business calendar, and only within its calling hours
// (DefaultHours unless it sets its own), read in the calendar's zone.
func (s *Service) callable(c Campaign, t time.Time) (bool, string) {
	cal := s.calendar()
	if name, ok := cal.IsHoliday(t); ok {
		return false, "holiday " + name
	}
	h, err := calendar.ParseHours(c.Hours)
	if err != nil {
		return false, "calling hours: " + err.Error()
	}
	if !calendar.OpenAt(t, h, cal) {
		return false, "outside calling hours " + c.Hours
	}
	return true, ""
}
