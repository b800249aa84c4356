package campaign

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

func TestDiallerOneCallPerReadyAgentWithinPacingAndHours(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, err := f.svc.Create(ctx, "demo", "sup", Input{Name: "进度", Mode: ModeProgressive, Agents: []string{"a1", "a2", "a3"}, CallerID: "01058001000",
		MaxAttempts: 2, RetrySpacingS: 60})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.AddTargets(ctx, "demo", "sup", c.ID, []NewTarget{{Phone: "13800000001"}, {Phone: "13800000002"}, {Phone: "13800000003"},
		{Phone: "13800000004"}, {Phone: "13800000005"}})
	if err != nil || rep.Accepted != 5 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := f.svc.Control(ctx, "demo", "sup", c.ID, ActStart); err != nil {
		t.Fatal(err)
	}
	// a1 and a2 ready, a3 on a break, a4 ready but not the campaign's.
	f.svc.Seen("demo", []protocol.AgentState{{Agent: "a1", State: "ready"}, {Agent: "a2", State: "ready"}, {Agent: "a3", State: "not_ready"}, {Agent: "a4", State: "ready"}})
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	placed := f.calls.list()
	if len(placed) != 2 || placed[0].agent != "a1" || placed[1].agent != "a2" || placed[0].to != "13800000001" || placed[0].callerID != "01058001000" {
		t.Fatalf("placed %+v, want one call each for a1 and a2 with the campaign's caller id", placed)
	}
	if err := f.svc.Dial(ctx); err != nil || len(f.calls.list()) != 2 {
		t.Fatalf("a second pass with both agents on calls placed %d: %v", len(f.calls.list()), err)
	}
	// Each agent is shown the number's card (masked) as their phone rings.
	var pops []protocol.ScreenPop
	for deadline := time.Now().Add(2 * time.Second); len(pops) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		pops = f.calls.popped()
	}
	if len(pops) != 2 {
		t.Fatalf("%d screen pops for 2 calls", len(pops))
	}
	for _, p := range pops {
		want := map[string]string{"a1": "call-1", "a2": "call-2"}[p.Agent]
		if p.Call != want || p.Fields["campaign"] != "进度" || !strings.HasPrefix(p.Fields["phone"], "138****000") || strings.Contains(p.Fields["card"], "13800000") {
			t.Errorf("screen pop %+v", p)
		}
	}
	// a1's call: busy; a2's: reached. Both free again (no wrap-up).
	f.ended(t, placed[0], "busy")
	f.ended(t, placed[1], "answered")
	// Pacing 1: one call at a time whoever is ready.
	c.Pacing = 1
	in := Input{Name: c.Name, Mode: c.Mode, Agents: c.Agents, CallerID: c.CallerID, Pacing: 1, MaxAttempts: 2, RetrySpacingS: 60}
	if _, err := f.svc.Update(ctx, "demo", "sup", c.ID, in); err != nil {
		t.Fatal(err)
	}
	f.event(t, protocol.EventAgentState, protocol.AgentState{Agent: "a3", State: "ready"})
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	placed = f.calls.list()
	if len(placed) != 3 || placed[2].to != "13800000003" || placed[2].agent == "a2" {
		t.Fatalf("with pacing 1: %+v (the busy number waits its 60 s)", placed)
	}
	// The agent marks it "call back tomorrow at 15:00".
	f.ended(t, placed[2], "answered")
	atts, _ := f.svc.Attempts(ctx, "demo", c.ID, 0)
	last := atts[len(atts)-1]
	cb := f.now.Add(29 * time.Hour) // 15:00 the next day
	if _, err := f.svc.SetDisposition(ctx, "demo", Disposer{UserID: "u2", Agent: "a2"}, c.ID, last.ID, DispositionInput{Disposition: DispRefused}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("another agent's disposition: %v", err)
	}
	if _, err := f.svc.SetDisposition(ctx, "demo", Disposer{UserID: "u1", Agent: placed[2].agent}, c.ID, last.ID, DispositionInput{Disposition: DispCallback, CallbackAt: cb.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetDisposition(ctx, "demo", Disposer{UserID: "boss", Supervisor: true}, c.ID, last.ID, DispositionInput{Disposition: "maybe"}); err == nil {
		t.Error("an unknown disposition was taken")
	}

	// Off hours and holidays: nothing.
	f.now = time.Date(2026, 10, 9, 20, 30, 0, 0, f.now.Location())
	if err := f.svc.Dial(ctx); err != nil || len(f.calls.list()) != 3 {
		t.Fatalf("after 20:00: %d calls (%v)", len(f.calls.list()), err)
	}
	f.now = time.Date(2026, 10, 2, 10, 0, 0, 0, f.now.Location())
	pr, _ := f.svc.Progress(ctx, "demo", c.ID)
	if err := f.svc.Dial(ctx); err != nil || len(f.calls.list()) != 3 || pr.Blocked != "holiday 国庆节" {
		t.Fatalf("on a holiday: %d calls, blocked %q (%v)", len(f.calls.list()), pr.Blocked, err)
	}

	// The next morning: the busy number is due again (its spacing long
	// past) before the new ones, which come by list order; the call-back
	// number waits for 15:00.
	f.now = time.Date(2026, 10, 10, 9, 0, 0, 0, f.now.Location())
	if _, err := f.svc.AddDNC(ctx, "demo", "sup", "13800000004", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	placed = f.calls.list()
	if len(placed) != 4 || placed[3].to != "13800000001" {
		t.Fatalf("next morning: %+v", placed[3:])
	}
	f.ended(t, placed[3], "busy") // its second and last attempt
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	placed = f.calls.list()
	if len(placed) != 5 || placed[4].to != "13800000005" {
		t.Fatalf("after the do-not-call number: %+v", placed[4:])
	}
	f.ended(t, placed[4], "not_found")
	f.now = cb.Add(time.Minute)
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	placed = f.calls.list()
	if len(placed) != 6 || placed[5].to != "13800000003" {
		t.Fatalf("at the call-back time: %+v", placed[5:])
	}
	f.ended(t, placed[5], "answered")
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	pr, err = f.svc.Progress(ctx, "demo", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != StateDone || pr.Total != 5 || pr.Reached != 2 || pr.Failed != 2 || pr.Skipped != 1 || pr.Dialled != 6 || pr.Remaining != 0 {
		t.Errorf("progress %+v", pr)
	}
	list, _, _ := f.svc.Targets(ctx, "demo", c.ID, "", 10, 0)
	want := map[string]string{"138****0001": "failed/busy/2", "138****0002": "done/reached/1", "138****0003": "done/reached/2",
		"138****0004": "skipped/dnc/0", "138****0005": "failed/wrong_number/1"}
	for _, tg := range list {
		if got := tg.State + "/" + tg.Disposition + "/" + string(rune('0'+tg.Attempts)); got != want[tg.Phone] {
			t.Errorf("%s: %s, want %s", tg.Phone, got, want[tg.Phone])
		}
	}
}

func TestDiallerDoesNotCountCallsThePBXRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, _ := f.svc.Create(ctx, "demo", "sup", Input{Name: "x", Mode: ModeProgressive, Agents: []string{"a1"}, MaxAttempts: 1})
	if _, err := f.svc.AddTargets(ctx, "demo", "sup", c.ID, []NewTarget{{Phone: "13800000001"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Control(ctx, "demo", "sup", c.ID, ActStart); err != nil {
		t.Fatal(err)
	}
	f.svc.Seen("demo", []protocol.AgentState{{Agent: "a1", State: "ready"}})
	f.calls.fail = errors.New("not connected")
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	list, _, _ := f.svc.Targets(ctx, "demo", c.ID, "", 10, 0)
	if list[0].State != TargetPending || list[0].Attempts != 0 {
		t.Errorf("after the PBX refused: %+v", list[0])
	}
	if _, err := f.svc.Control(ctx, "demo", "sup", c.ID, ActResume); err == nil {
		t.Error("a running campaign resumed")
	}
	for _, a := range []string{ActPause, ActResume, ActStop} {
		if _, err := f.svc.Control(ctx, "demo", "sup", c.ID, a); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	f.calls.fail = nil
	f.now = f.now.Add(time.Minute)
	if err := f.svc.Dial(ctx); err != nil || len(f.calls.list()) != 0 {
		t.Errorf("a stopped campaign dialled %d (%v)", len(f.calls.list()), err)
	}
}

func TestAnAttemptWhoseEndNeverCameIsClosed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, _ := f.svc.Create(ctx, "demo", "sup", Input{Name: "x", Mode: ModeProgressive, Agents: []string{"a1"}, MaxAttempts: 2, RetrySpacingS: 60})
	if _, err := f.svc.AddTargets(ctx, "demo", "sup", c.ID, []NewTarget{{Phone: "13800000001"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Control(ctx, "demo", "sup", c.ID, ActStart); err != nil {
		t.Fatal(err)
	}
	f.svc.Seen("demo", []protocol.AgentState{{Agent: "a1", State: "ready"}})
	if err := f.svc.Dial(ctx); err != nil || len(f.calls.list()) != 1 {
		t.Fatalf("%d calls: %v", len(f.calls.list()), err)
	}
	// The OA restarts (the dialler forgets its seats) and the call's end is lost.
	f.now = f.now.Add(staleAfter - time.Minute)
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := f.svc.Targets(ctx, "demo", c.ID, "", 10, 0); list[0].State != TargetDialing {
		t.Fatalf("before the limit: %+v", list[0])
	}
	f.now = f.now.Add(2 * time.Minute)
	if err := f.svc.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	list, _, _ := f.svc.Targets(ctx, "demo", c.ID, "", 10, 0)
	if list[0].State != TargetPending || list[0].Disposition != DispFailed || list[0].Attempts != 1 {
		t.Errorf("after the limit: %+v", list[0])
	}
	// The agent is free again: the number's retry goes to them.
	f.now = f.now.Add(time.Minute)
	if err := f.svc.Dial(ctx); err != nil || len(f.calls.list()) != 2 {
		t.Errorf("after the retry spacing: %d calls (%v)", len(f.calls.list()), err)
	}
}
