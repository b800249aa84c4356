package ivr

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/yimen/yimen/internal/errs"
)

func run1(t *testing.T, set *Set, flow string, f *fakeSession, o Options) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.cancel = cancel
	if o.Clock == nil {
		o.Clock = clockAt("2026-03-09 10:00")
	}
	return NewInterpreter(o).Run(ctx, set, flow, f, map[string]string{"caller": "13800138000"})
}

func TestSubReturnsAndGotoFlowEntersOtherFlow(t *testing.T) {
	set := mustLoad(t, map[string]string{
		"main": `start:
  sub greet
  play tts "back"
  sub flow helper
  play tts "back again"
  goto flow other

greet:
  play tts "hello"
  return
`,
		"helper": `h:
  play tts "helper"
  return
`,
		"other": `o:
  play tts "other"
  return
`,
	})
	f := &fakeSession{}
	res, err := run1(t, set, "main", f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// return with nothing to return to ends the call.
	wantTranscript(t, f, "play tts:hello", "play tts:back", "play tts:helper", "play tts:back again", "play tts:other", "hangup")
	if res.Outcome != OutcomeHangup || res.Flow != "other" || res.Step != "o" {
		t.Fatalf("result %+v", res)
	}
}

func TestMenuBranchesRetriesAndInvalid(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": `m:
  menu prompt "welcome.wav" timeout 3s retries 1 bargein off:
    1:
      set $choice = "one"
      play tts "one"
    "#": hangup
    invalid: play tts "wrong"
    timeout: play tts "gave up"
  play tts "after ${choice}"
  hangup
`})
	cases := []struct {
		keys []string
		want []string
	}{
		{[]string{"1"}, []string{`collect welcome.wav -> "1"`, "play tts:one", "play tts:after one", "hangup"}},
		{[]string{"#"}, []string{`collect welcome.wav -> "#"`, "hangup"}},
		{[]string{"5", "1"}, []string{`collect welcome.wav -> "5"`, "play tts:wrong", `collect welcome.wav -> "1"`, "play tts:one", "play tts:after one", "hangup"}},
		{[]string{"5", "5"}, []string{`collect welcome.wav -> "5"`, "play tts:wrong", `collect welcome.wav -> "5"`, "play tts:wrong", "play tts:gave up", "play tts:after ", "hangup"}},
		{nil, []string{`collect welcome.wav -> ""`, `collect welcome.wav -> ""`, "play tts:gave up", "play tts:after ", "hangup"}},
	}
	for _, tc := range cases {
		f := &fakeSession{keys: tc.keys}
		if _, err := run1(t, set, "main", f, Options{}); err != nil {
			t.Fatal(err)
		}
		wantTranscript(t, f, tc.want...)
		if f.requests[0].BargeIn {
			t.Error("bargein off not passed on")
		}
	}
}

func TestCollectTimeoutBranchAndEmptyVariable(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": `m:
  set $pin = "old"
  collect $pin min 4 max 4 retries 1:
    timeout: play tts "no pin [${pin}]"
  hangup
`})
	f := &fakeSession{keys: []string{"12", "12345"}}
	res, _ := run1(t, set, "main", f, Options{})
	wantTranscript(t, f, `collect - -> "12"`, `collect - -> "12345"`, "play tts:no pin []", "hangup")
	if res.Vars["pin"] != "" {
		t.Fatalf("pin = %q", res.Vars["pin"])
	}
}

func TestTransferOutcomes(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": `m:
  transfer extension 8001:
    failed:
      play tts "busy"
      transfer external "+8613800138000" trunk unicom
`})
	f := &fakeSession{}
	res, _ := run1(t, set, "main", f, Options{})
	if res.Outcome != OutcomeTransferred {
		t.Fatalf("outcome %v", res.Outcome)
	}
	f = &fakeSession{transferErr: errors.New("486 busy")}
	res, _ = run1(t, set, "main", f, Options{})
	wantTranscript(t, f, "transfer extension 8001", "play tts:busy", "transfer external +8613800138000", "hangup")
	if res.Outcome != OutcomeHangup {
		t.Fatalf("outcome %v", res.Outcome)
	}
}

func TestCallerHangingUpEndsTheRun(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": `m:
  play "welcome.wav"
  play "welcome.wav"
  play "welcome.wav"
  hangup
`})
	f := &fakeSession{hangupAfter: 2}
	res, err := run1(t, set, "main", f, Options{})
	if err != nil || res.Outcome != OutcomeCallerGone {
		t.Fatalf("outcome %v err %v", res.Outcome, err)
	}
	if strings.Count(f.transcript(), "play") != 2 || strings.Contains(f.transcript(), "hangup") {
		t.Fatalf("kept going after the caller left:\n%s", f.transcript())
	}
}

func TestSessionFailureAborts(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": "m:\n  answer\n  play \"welcome.wav\"\n  hangup\n"})
	f := &fakeSession{failVerb: "play"}
	res, err := run1(t, set, "main", f, Options{})
	if res.Outcome != OutcomeAborted || !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "main.ivr:3:3") {
		t.Fatalf("outcome %v err %v", res.Outcome, err)
	}
}

// unchecked builds a Set from flows that the checker would refuse, to prove
// the interpreter's own limits.
func unchecked(t *testing.T, src string) *Set {
	t.Helper()
	f, err := Parse("spin.ivr", "spin", src)
	if err != nil {
		t.Fatal(err)
	}
	return &Set{flows: map[string]*Flow{"spin": f}}
}

func TestRunawayFlowsAreCutOff(t *testing.T) {
	f := &fakeSession{}
	res, err := run1(t, unchecked(t, "a:\n  set $x = 1\n  goto a\n"), "spin", f, Options{MaxSteps: 500})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "statements" || !errors.Is(err, errs.ErrUnavailable) || res.Outcome != OutcomeAborted || res.Steps != 501 {
		t.Fatalf("err %v res %+v", err, res)
	}
	if f.transcript() != "hangup" {
		t.Fatalf("a cut-off call must be hung up, got %q", f.transcript())
	}
	_, err = run1(t, unchecked(t, "a:\n  sub a\n  hangup\n"), "spin", &fakeSession{}, Options{})
	if !errors.As(err, &le) || le.What != "nested subs" || le.Limit != DefaultMaxDepth {
		t.Fatalf("deep subs: %v", err)
	}
}

func TestUnknownFlow(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": "m:\n  hangup\n"})
	if _, err := run1(t, set, "nope", &fakeSession{}, Options{}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("err %v", err)
	}
}

func TestConditions(t *testing.T) {
	cases := []struct {
		cond string
		at   string
		want bool
	}{
		{`$n == 7`, "2026-03-09 10:00", true},
		{`$n == "07"`, "2026-03-09 10:00", true}, // both integers: compared as numbers
		{`$n < 10`, "2026-03-09 10:00", true},    // 7 < 10 numerically, though "7" > "10" as text
		{`$s < "b"`, "2026-03-09 10:00", true},
		{`$s != "a"`, "2026-03-09 10:00", false},
		{`$unset == ""`, "2026-03-09 10:00", true},
		{`not $n == 7 or $s == "a" and $n >= 8`, "2026-03-09 10:00", false},
		{`($n == 7 or $n == 8) and not ($s == "b")`, "2026-03-09 10:00", true},
		{`time(09:00-12:00)`, "2026-03-09 12:00", false},
		{`time(09:00-12:00, 12:00-13:00)`, "2026-03-09 12:00", true},
		{`time(22:00-06:00)`, "2026-03-09 05:59", true},
		{`time(22:00-06:00)`, "2026-03-09 06:00", false},
		{`weekday(mon-fri)`, "2026-03-07 10:00", false},
		{`weekday(fri-mon)`, "2026-03-07 10:00", true},
		{`weekday(sat, sun)`, "2026-03-08 10:00", true},
		{`date(2026-02-15..2026-02-23)`, "2026-02-23 23:59", true},
		{`date(2026-02-15..2026-02-23)`, "2026-02-24 00:00", false},
		{`date(2026-01-01, 2026-03-09)`, "2026-03-09 00:00", true},
		{`holiday(calendar "cn")`, "2026-02-18 10:00", true},
		{`holiday(calendar "cn")`, "2026-02-14 10:00", false},
		{`workday(calendar "cn")`, "2026-02-14 10:00", true},
		{`workday(calendar "cn")`, "2026-02-18 10:00", false},
		{`open(hours "mon-fri 09:00-17:30", calendar "cn")`, "2026-02-14 10:00", true},
		{`closed(hours "mon-fri 09:00-17:30", calendar "cn")`, "2026-02-18 10:00", true},
		{`open(hours "mon-fri 09:00-17:30")`, "2026-02-18 10:00", true}, // no calendar: weekdays only
		{`closed(hours "mon-fri 09:00-17:30", calendar "cn")`, "2026-03-07 10:00", true},
	}
	for _, tc := range cases {
		set := mustLoad(t, map[string]string{"main": "m:\n  set $n = 7\n  set $s = \"a\"\n  if " + tc.cond + ": set $r = \"yes\"\n  else: set $r = \"no\"\n  hangup\n"})
		res, err := run1(t, set, "main", &fakeSession{}, Options{Clock: clockAt(tc.at)})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Vars["r"] == "yes"; got != tc.want {
			t.Errorf("%s at %s = %v, want %v", tc.cond, tc.at, got, tc.want)
		}
	}
}

func TestWhenPicksFirstMatchingCase(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": `m:
  when:
    holiday(calendar "cn"): play tts "holiday"
    time(09:00-17:00): play tts "day"
    else: play tts "night"
  hangup
`})
	for at, want := range map[string]string{"2026-02-18 10:00": "holiday", "2026-03-09 10:00": "day", "2026-03-09 20:00": "night"} {
		f := &fakeSession{}
		run1(t, set, "main", f, Options{Clock: clockAt(at)})
		wantTranscript(t, f, "play tts:"+want, "hangup")
	}
}

func TestRegistryReloadIsAtomicAndCallsKeepTheirVersion(t *testing.T) {
	reg := NewRegistry(testLoader(t))
	if reg.Current() != nil {
		t.Fatal("empty registry has a set")
	}
	v1 := fstest.MapFS{"main.ivr": {Data: []byte("m:\n  menu prompt \"welcome.wav\":\n    1: goto next\n    timeout: hangup\n\nnext:\n  play tts \"version one\"\n  hangup\n")}}
	v2 := fstest.MapFS{"main.ivr": {Data: []byte("m:\n  menu prompt \"welcome.wav\":\n    1: goto next\n    timeout: hangup\n\nnext:\n  play tts \"version two\"\n  hangup\n")}}
	bad := fstest.MapFS{"main.ivr": {Data: []byte("m:\n  goto nowhere\n")}}
	s1, err := reg.Reload(v1)
	if err != nil || reg.Current() != s1 || s1.Generation() != 1 {
		t.Fatalf("first load: %v", err)
	}
	if _, err := reg.Reload(bad); err == nil || reg.Current() != s1 {
		t.Fatalf("a bad reload replaced the live set (err %v)", err)
	}
	// A call in progress started on v1; v2 arrives while the caller is in
	// the menu. The call finishes on v1, the next call runs v2.
	f := &fakeSession{keys: []string{"1"}}
	f.onCollect = func() {
		if _, err := reg.Reload(v2); err != nil {
			t.Error(err)
		}
	}
	set := reg.Current()
	if _, err := NewInterpreter(Options{}).Run(context.Background(), set, "main", f, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.transcript(), "version one") {
		t.Fatalf("call changed version mid-way:\n%s", f.transcript())
	}
	if reg.Current().Generation() != 2 {
		t.Fatalf("generation %d", reg.Current().Generation())
	}
	f2 := &fakeSession{keys: []string{"1"}}
	NewInterpreter(Options{}).Run(context.Background(), reg.Current(), "main", f2, nil)
	if !strings.Contains(f2.transcript(), "version two") {
		t.Fatalf("new call not on v2:\n%s", f2.transcript())
	}
}

func TestLoadReportsEveryFileAndNeedsFlows(t *testing.T) {
	_, err := testLoader(t).Load(fstest.MapFS{
		"a.ivr":     {Data: []byte("m:\n  goto x\n")},
		"b.ivr":     {Data: []byte("m:\n  hangup\n  hangup\n")},
		"bad-n.ivr": {Data: []byte("m:\n  hangup\n")},
	})
	var el ErrorList
	if !errors.As(err, &el) || len(el) != 3 {
		t.Fatalf("want 3 diagnostics from 3 files, got %v", err)
	}
	if !strings.HasPrefix(el[0].String(), "a.ivr:2:8: ") || !strings.HasPrefix(el[1].String(), "b.ivr:3:3: ") || !strings.HasPrefix(el[2].String(), "bad-n.ivr:1:1: ") {
		t.Fatalf("order/positions:\n%v", err)
	}
	if _, err := Load(fstest.MapFS{"x.txt": {}}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("no flows: %v", err)
	}
}

func TestParseFragment(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": "m:\n  hangup\n\nbye:\n  hangup\n"})
	body, err := set.ParseFragment("main", "play tts \"x\"\ngoto bye\n")
	if err != nil || len(body) != 2 {
		t.Fatalf("fragment: %v %v", body, err)
	}
	if _, err := set.ParseFragment("main", "goto nowhere"); err == nil || !strings.Contains(err.Error(), "(http reply):1:6: goto nowhere: no step") {
		t.Fatalf("bad fragment: %v", err)
	}
}
