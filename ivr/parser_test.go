package ivr

import (
	"strings"
	"testing"
	"time"
)

func TestParseDefaultsAndShapes(t *testing.T) {
	src := `main:
  menu prompt tts "按1" voice "xiaoyan":
    1: goto flow other
    "*":
      sub helper
      return
    timeout: hangup
  collect $pin max 6
  survey prompt "s.wav"
  http "https://x.example/y":
    fallback: return
  http "https://x.example/y" send $a, $b timeout 500ms:
    fallback: return
  queue sales
  record mailbox box max 30s
  transfer extension $ext
  hangup

helper:
  return
`
	f, err := Parse("p.ivr", "p", src)
	if err != nil {
		t.Fatal(err)
	}
	b := f.Steps[0].Body
	m := b[0].(*Menu)
	if m.Timeout != 5*time.Second || m.Retries != 2 || !m.BargeIn || m.Prompt.TTS == nil || m.Prompt.Voice != "xiaoyan" || len(m.Options) != 2 || m.Invalid != nil || m.OnTimeout == nil {
		t.Errorf("menu %+v", m)
	}
	if g := m.Options[0].Body[0].(*Goto); g.Target.Flow != "other" || g.Target.Step != "" {
		t.Errorf("goto flow target %+v", g.Target)
	}
	if m.Options[1].Key != "*" || len(m.Options[1].Body) != 2 {
		t.Errorf("star key %+v", m.Options[1])
	}
	if c := b[1].(*Collect); c.Min != 1 || c.Max != 6 || c.Timeout != 5*time.Second || c.InterDigit != 3*time.Second || c.Retries != 2 || c.Prompt != nil {
		t.Errorf("collect %+v", c)
	}
	if s := b[2].(*Survey); s.Low != 1 || s.High != 5 || s.Retries != 1 || s.Prompt.File != "s.wav" {
		t.Errorf("survey %+v", s)
	}
	if h := b[3].(*HTTP); h.Send != nil || h.Timeout != 3*time.Second {
		t.Errorf("http without send must post all variables: %+v", h)
	}
	if h := b[4].(*HTTP); strings.Join(h.Send, ",") != "a,b" || h.Timeout != 500*time.Millisecond {
		t.Errorf("http send %+v", h)
	}
	if q := b[5].(*Queue); q.Name != "sales" || q.Priority != 0 || q.Timeout != 0 {
		t.Errorf("queue %+v", q)
	}
	if r := b[6].(*Record); !r.Beep || r.Max != 30*time.Second {
		t.Errorf("record %+v", r)
	}
	if tr := b[7].(*Transfer); tr.External || tr.Target.(*Var).Name != "ext" {
		t.Errorf("transfer %+v", tr)
	}
	if st, ok := f.Step("helper"); !ok || f.Entry().Name != "main" || st.Line != 19 {
		t.Errorf("index/entry wrong")
	}
}

func TestParseConditionPrecedence(t *testing.T) {
	f, err := Parse("c.ivr", "c", "m:\n  if not $a == 1 or $b == 2 and time(09:00-10:00): hangup\n  hangup\n")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := f.Steps[0].Body[0].(*If).Cond.(*Or)
	if !ok {
		t.Fatalf("top is not or")
	}
	if _, ok := or.Left.(*Not); !ok {
		t.Errorf("not binds tighter than or")
	}
	and, ok := or.Right.(*And)
	if !ok {
		t.Fatalf("and binds tighter than or")
	}
	if tod := and.Right.(*TimeOfDay); tod.Ranges[0] != [2]int{540, 600} {
		t.Errorf("time range %v", tod.Ranges)
	}
}

func TestParseReportsSeveralErrorsAtOnce(t *testing.T) {
	_, err := Parse("e.ivr", "e", "m:\n  answr\n  play\n  goto\n  hangup\n")
	el, ok := err.(ErrorList)
	if !ok || len(el) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
}

func TestParseNestingIsBounded(t *testing.T) {
	deep := "m:\n  if " + strings.Repeat("(", 200) + "$a == 1" + strings.Repeat(")", 200) + ": hangup\n"
	if _, err := Parse("d.ivr", "d", deep); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("deep condition: %v", err)
	}
	inline := "m:\n  " + strings.Repeat(`if $a == 1: `, 100) + "hangup\n"
	if _, err := Parse("d.ivr", "d", inline); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("deep statements: %v", err)
	}
}
