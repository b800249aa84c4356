package calendar

import (
	"errors"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

func TestParseHoursCanonical(t *testing.T) {
	cases := map[string]string{
		"mon-fri 09:00-17:30; sat 09:00-12:00": "mon-fri 09:00-17:30; sat 09:00-12:00",
		"MON-FRI 9:00-12:00, 13:30-17:30":      "mon-fri 09:00-12:00,13:30-17:30",
		"mon,wed,fri 08:00-09:00":              "mon,wed,fri 08:00-09:00",
		"sat-mon 10:00-11:00":                  "mon,sat-sun 10:00-11:00",
		"daily 00:00-24:00":                    "mon-sun 00:00-24:00",
		"24x7":                                 "mon-sun 00:00-24:00",
		"closed":                               "closed",
		"mon 09:00-12:00 11:00-13:00; mon 13:00-14:00": "mon 09:00-14:00",
		"fri 22:00-24:00; sat 00:00-06:00":             "fri 22:00-24:00; sat 00:00-06:00",
		"mon-fri 09:00-17:30;":                         "mon-fri 09:00-17:30",
	}
	for in, want := range cases {
		h, err := ParseHours(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := h.String(); got != want {
			t.Errorf("%q: String = %q, want %q", in, got, want)
		}
	}
}

func TestParseHoursErrors(t *testing.T) {
	cases := map[string]string{
		"":                      "empty",
		"   ":                   "empty",
		";":                     "no rules",
		"09:00-17:00":           "starts without days",
		"mon-fri":               "has days but no times",
		"mon-fry 09:00-17:00":   `day "fry" is not one of`,
		"mon-fri 9-17":          `time "9" is not HH:MM`,
		"mon-fri 09:00-17:60":   `time "17:60" is not a time of day`,
		"mon-fri 25:00-26:00":   `time "25:00" is not a time of day`,
		"mon-fri 17:00-09:00":   "ends before it starts",
		"mon-fri 09:00-09:00":   "is empty",
		"mon 24:00-24:00":       "starts at 24:00",
		"mon 09:00-17:00 tue":   `"tue" is not a time range`,
		"mon 09:00-17:00-18:00": `not HH:MM`,
		"mon 0900-1700":         `not HH:MM`,
		"mon 09:00-17:00 x:yy":  `"x:yy" is not a time range`,
	}
	for in, want := range cases {
		_, err := ParseHours(in)
		if err == nil {
			t.Errorf("%q: parsed", in)
			continue
		}
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%q: %v does not wrap ErrInvalid", in, err)
		}
		if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "invalid hours ") {
			t.Errorf("%q: error %q, want it to contain %q", in, err, want)
		}
	}
}

func TestZeroHoursNeverOpen(t *testing.T) {
	var h Hours
	if !h.IsZero() || OpenAt(at8("2026-03-09 10:00"), h, nil) {
		t.Fatal("zero Hours is open")
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{
		"mon-fri 09:00-17:30; sat 09:00-12:00", "24x7", "closed", "daily 00:00-24:00",
		"sat-mon 10:00-11:00,12:00-13:00", "mon 9:00-12:00 11:00-13:00", "fri 22:00-24:00",
		"mon-fri 17:00-09:00", ";;", "mon,", "-", "mon 24:00-24:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		canon := h.String()
		h2, err := ParseHours(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, s, err)
		}
		if h2.String() != canon {
			t.Fatalf("round trip %q -> %q", canon, h2.String())
		}
		for d, spans := range h.week {
			for i, sp := range spans {
				if sp.from < 0 || sp.to > minutesPerDay || sp.from >= sp.to || i > 0 && spans[i-1].to >= sp.from {
					t.Fatalf("day %d spans %v not normalized", d, spans)
				}
			}
		}
	})
}
