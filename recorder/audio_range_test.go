package recorder

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCoalesceRanges(t *testing.T) {
	for header, want := range map[string]string{
		"bytes=0-57":                 "bytes=0-57",
		"bytes=-100":                 "bytes=900-999",
		"bytes=990-":                 "bytes=990-999",
		"bytes=0-9,10-19,5-12":       "bytes=0-19",
		"bytes=500-599, 0-9, 2000-3": "", // last is malformed
		"bytes=0-1,4-5,8-9,12-13,16-17,20-21,24-25,28-29":           "bytes=0-1,4-5,8-9,12-13,16-17,20-21,24-25,28-29",
		"bytes=0-1,4-5,8-9,12-13,16-17,20-21,24-25,28-29,32":        "",
		"bytes=0-1,4-5,8-9,12-13,16-17,20-21,24-25,28-29,30-40,2-3": "bytes=0-5,8-9,12-13,16-17,20-21,24-25,28-40",
		"bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17,18-19":   "bytes=0-19",
		"bytes=0-1,4-5,8-9,12-13,16-17,20-21,24-25,28-29,32-33":     "",
		"bytes=5000-6000":                      "",
		"items=0-1":                            "",
		"bytes=" + strings.Repeat("0-0,", 100): "",
	} {
		rs, err := coalesceRanges(header, 1000)
		switch {
		case want == "" && !errors.Is(err, errRange):
			t.Errorf("%s: %v, %v; want refused", header, rs, err)
		case want != "" && (err != nil || rangeHeader(rs) != want):
			t.Errorf("%s: %v, %v; want %s", header, rs, err, want)
		}
	}
}

func TestRangeSummaryStaysShort(t *testing.T) {
	if got := rangeSummary("bytes=1000-2999"); got != "range bytes=1000-2999" {
		t.Errorf("one range: %q", got)
	}
	long := "bytes=" + strings.Repeat("1-1,", 4400)
	if got := rangeSummary(long); len(got) > 80 || !strings.Contains(got, "4400 more") {
		t.Errorf("4400 ranges summarised as %q", got)
	}
}

func TestPlaybackCountsFollowUps(t *testing.T) {
	var p playbacks
	t0 := time.Now()
	if again, _ := p.follow("u1|stream|r1", t0); again {
		t.Fatal("first request counted as a follow-up")
	}
	if again, n := p.follow("u1|stream|r1", t0.Add(time.Minute)); !again || n != 2 {
		t.Fatalf("second request: %v %d", again, n)
	}
	if again, _ := p.follow("u2|stream|r1", t0.Add(time.Minute)); again {
		t.Fatal("another actor's request joined the first one's playback")
	}
	if again, _ := p.follow("u1|stream|r1", t0.Add(time.Minute+playbackWindow)); again {
		t.Fatal("a request after the window is still the same playback")
	}
}
