package recorder

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/audit"
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
	if again, _ := p.follow("u1|stream|r1", t0, audit.Entry{}); again {
		t.Fatal("first request counted as a follow-up")
	}
	if again, n := p.follow("u1|stream|r1", t0.Add(time.Minute), audit.Entry{}); !again || n != 2 {
		t.Fatalf("second request: %v %d", again, n)
	}
	if again, _ := p.follow("u2|stream|r1", t0.Add(time.Minute), audit.Entry{}); again {
		t.Fatal("another actor's request joined the first one's playback")
	}
	if again, _ := p.follow("u1|stream|r1", t0.Add(time.Minute+playbackWindow), audit.Entry{}); again {
		t.Fatal("a request after the window is still the same playback")
	}
}

// recordingAudit keeps the entries a recorder appends.
type recordingAudit struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (a *recordingAudit) Append(_ context.Context, e audit.Entry) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return int64(len(a.entries)), nil
}

func (a *recordingAudit) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.entries {
		out = append(out, e.Action+" "+e.Target+" "+e.Actor)
	}
	return out
}

// A playback whose follow-up requests were only counted ends with one
// summary entry in the audit log, once its window has closed: who, what,
// how many requests over how long. A playback of one request needs none
// (its entry says it all), and one still open is summarised when the
// recorder closes.
func TestPlaybackSummaryIsAudited(t *testing.T) {
	f := newFixture(t, nil)
	sink := &recordingAudit{}
	f.r.auditor = sink
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	now := t0
	f.r.now = func() time.Time { return now }
	e := func(actor, action, id string) audit.Entry {
		return audit.Entry{Tenant: "demo", Actor: actor, Action: action, Target: "recording/" + id, Source: "127.0.0.1:5", Detail: "by user o***r of demo (password)"}
	}
	for i := range 4 { // u1 seeks three times within a minute
		now = t0.Add(time.Duration(i) * 20 * time.Second)
		f.r.played.follow("u1\x00recording.stream\x00r1", now, e("u1", "recording.stream", "r1"))
	}
	f.r.played.follow("u2\x00recording.stream\x00r1", now, e("u2", "recording.stream", "r1")) // one request only
	f.r.auditPlaybacks(context.Background(), false)
	if got := sink.actions(); len(got) != 0 {
		t.Fatalf("summaries written while the window is open: %v", got)
	}
	now = t0.Add(time.Minute + playbackWindow)
	f.r.played.follow("u3\x00recording.download\x00r2", now, e("u3", "recording.download", "r2"))
	f.r.played.follow("u3\x00recording.download\x00r2", now.Add(time.Second), e("u3", "recording.download", "r2"))
	f.r.auditPlaybacks(context.Background(), false)
	if got := sink.actions(); len(got) != 1 || got[0] != "recording.stream.summary recording/r1 u1" {
		t.Fatalf("after the window: %v, want u1's summary alone", got)
	}
	if d := sink.entries[0].Detail; !strings.HasPrefix(d, "4 requests over 1m0s, first 2026-12-06T09:00:00Z, last 2026-12-06T09:01:00Z") ||
		!strings.Contains(d, "o***r") || sink.entries[0].Tenant != "demo" || sink.entries[0].Source != "127.0.0.1:5" {
		t.Errorf("summary = %+v", sink.entries[0])
	}
	f.r.Close()
	if got := sink.actions(); len(got) != 2 || got[1] != "recording.download.summary recording/r2 u3" {
		t.Fatalf("at close: %v, want u3's open download summarised", got)
	}
	if !strings.Contains(f.logs.String(), "recording playback ended") {
		t.Error("no log line for the summaries")
	}
}
