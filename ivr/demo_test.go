package ivr

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/calendar"
)

// demoSet loads the shipped flows, prompts and calendar exactly as the PBX
// will.
func demoSet(t testing.TB) *Set {
	t.Helper()
	l := Loader{Prompts: os.DirFS("../configs/prompts"), Calendars: map[string]*calendar.Calendar{"cn": shippedCalendar(t)}}
	s, err := l.Load(os.DirFS("../configs/ivr"))
	if err != nil {
		t.Fatalf("shipped flows do not load:\n%v", err)
	}
	return s
}

func clockAt(s string) func() time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

func runDemo(t *testing.T, at string, f *fakeSession, o Options) Result {
	t.Helper()
	o.Clock = clockAt(at)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.cancel = cancel
	res, err := NewInterpreter(o).Run(ctx, demoSet(t), "demo", f, map[string]string{"caller": "13800138000", "call_id": "c1"})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, f.transcript())
	}
	return res
}

func wantTranscript(t *testing.T, f *fakeSession, want ...string) {
	t.Helper()
	if got := f.transcript(); got != strings.Join(want, "\n") {
		t.Errorf("transcript:\n%s\n--- want:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestShippedFlowsLoadWithoutWarnings(t *testing.T) {
	s := demoSet(t)
	if got := strings.Join(s.Names(), ","); got != "demo,survey" {
		t.Fatalf("flows %s", got)
	}
	if w := s.Warnings(); len(w) > 0 {
		t.Fatalf("warnings: %v", w)
	}
}

func TestDemoOpenOnMakeupSaturdayQueuesLotteryThenSurvey(t *testing.T) {
	f := &fakeSession{keys: []string{"1", "4"}}
	res := runDemo(t, "2026-02-14 10:00", f, Options{})
	wantTranscript(t, f,
		"answer",
		"play welcome.wav",
		`collect main-menu.wav -> "1"`,
		"queue lottery skill=lottery prio=5 answered=true",
		`collect survey-ask.wav -> "4"`,
		"survey survey answered=true score=4",
		"play survey-thanks.wav",
		"hangup")
	if res.Outcome != OutcomeHangup || res.Flow != "survey" || res.Vars["survey"] != "4" {
		t.Fatalf("result %+v", res)
	}
	if f.queued[0].Vars["caller"] != "13800138000" {
		t.Error("queue request lacks the call's variables for the screen pop")
	}
	if r := f.requests[0]; !r.BargeIn || r.Max != 1 || r.Timeout != 5*time.Second {
		t.Errorf("menu digit request %+v", r)
	}
}

func TestDemoClosedOnHolidayWednesdayTakesMessage(t *testing.T) {
	f := &fakeSession{}
	res := runDemo(t, "2026-02-18 10:00", f, Options{})
	wantTranscript(t, f,
		"answer",
		"play welcome.wav",
		"play tts:节假日期间暂停人工服务",
		"record hotline max=2m0s beep=true",
		"play goodbye.wav",
		"hangup")
	if res.Outcome != OutcomeHangup || res.Vars["recording"] != "rec-1" {
		t.Fatalf("result %+v", res)
	}
	if f.records[0].Prompt == nil || f.records[0].Prompt.File != "leave-message.wav" {
		t.Errorf("record prompt %+v", f.records[0].Prompt)
	}
}

func TestDemoClosedOnOrdinaryEveningAndSaturday(t *testing.T) {
	for _, at := range []string{"2026-03-09 20:00", "2026-03-07 10:00", "2026-10-10 08:59"} {
		f := &fakeSession{}
		runDemo(t, at, f, Options{})
		if !strings.Contains(f.transcript(), "play after-hours.wav") {
			t.Errorf("%s: not closed:\n%s", at, f.transcript())
		}
	}
	f := &fakeSession{keys: []string{"0", "5"}}
	runDemo(t, "2026-10-10 10:00", f, Options{}) // make-up Saturday after National Day
	if !strings.Contains(f.transcript(), "queue operator skill=general") {
		t.Errorf("2026-10-10 10:00 should be open:\n%s", f.transcript())
	}
}

func TestDemoRepairCollectsOutletThenQueues(t *testing.T) {
	f := &fakeSession{keys: []string{"2", "12", "123456", ""}, queue: []bool{false}}
	res := runDemo(t, "2026-03-09 10:00", f, Options{})
	wantTranscript(t, f,
		"answer",
		"play welcome.wav",
		`collect main-menu.wav -> "2"`,
		`collect tts:请输入网点编号，以井号键结束 -> "12"`, // too short: asked again
		`collect tts:请输入网点编号，以井号键结束 -> "123456"`,
		"play tts:您输入的网点编号是",
		"say digits 123456",
		"queue repair skill=repair prio=3 answered=false",
		"record hotline max=2m0s beep=true",
		"play goodbye.wav",
		"hangup")
	if res.Vars["outlet"] != "123456" {
		t.Fatalf("outlet = %q", res.Vars["outlet"])
	}
	if r := f.requests[1]; r.Min != 6 || r.Max != 8 || r.Terminator != "#" || r.Timeout != 10*time.Second {
		t.Errorf("collect request %+v", r)
	}
}

func TestDemoMenuInvalidThenSilenceSaysGoodbye(t *testing.T) {
	f := &fakeSession{keys: []string{"7", "", ""}}
	runDemo(t, "2026-03-09 10:00", f, Options{})
	wantTranscript(t, f,
		"answer",
		"play welcome.wav",
		`collect main-menu.wav -> "7"`,
		"play invalid.wav",
		`collect main-menu.wav -> ""`,
		`collect main-menu.wav -> ""`,
		"play goodbye.wav",
		"hangup")
}

func TestDemoSurveyNoAnswerIsNotAScore(t *testing.T) {
	f := &fakeSession{keys: []string{"1", "", "8"}}
	res := runDemo(t, "2026-03-09 10:00", f, Options{})
	if len(f.surveys) != 1 || f.surveys[0].Answered || f.surveys[0].Score != 0 {
		t.Fatalf("surveys %+v", f.surveys)
	}
	if res.Vars["survey"] != "" || !strings.HasSuffix(f.transcript(), "play goodbye.wav\nhangup") {
		t.Fatalf("survey var %q, transcript:\n%s", res.Vars["survey"], f.transcript())
	}
}
