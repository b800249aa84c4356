// Package calendar owns working time: holiday calendars loaded from one data
// file per year (holidays and 调休 make-up workdays), business-hours
// expressions such as "mon-fri 09:00-17:30; sat 09:00-12:00", whether a
// service is open at an instant, and business-time arithmetic for SLA clocks.
// It is shared by the IVR's "closed" checks and the OA's ticket clocks, so it
// imports no feature package. Dates are civil dates in the calendar's zone
// (Asia/Shanghai unless the file says otherwise).
package calendar
