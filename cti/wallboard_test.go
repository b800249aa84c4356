package cti_test

import (
	"testing"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti"
	"github.com/yimen/yimen/cti/protocol"
)

// TestSnapshotThenResume: a wallboard starts from wallboard.snapshot and
// subscribes from its seq: the waiting call, the counts and every state
// change after the snapshot arrive, nothing missed.
func TestSnapshotThenResume(t *testing.T) {
	e := newEnv(t, cti.Config{})
	ctx := e.cctx()
	wb := e.dial(tokWall)
	if err := e.acd.Login(ctx, "demo", "a1"); err != nil {
		t.Fatal(err)
	}
	if err := e.acd.Enqueue(ctx, "demo", acd.Call{ID: "c1", Queue: "hotline", Caller: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(3 * time.Second)
	var snap protocol.Snapshot
	if err := wb.Do(ctx, protocol.CmdWallboardSnapshot, protocol.SnapshotRequest{}, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Epoch != "ep1" || snap.Seq != e.hub.Seq("demo") || snap.Seq == 0 {
		t.Fatalf("snapshot at epoch %q seq %d, hub at %d", snap.Epoch, snap.Seq, e.hub.Seq("demo"))
	}
	if len(snap.Agents) != 3 || len(snap.Queues) != 1 {
		t.Fatalf("snapshot: %d agents, %d queues", len(snap.Agents), len(snap.Queues))
	}
	states := map[string]protocol.AgentState{}
	for _, a := range snap.Agents {
		states[a.Agent] = a
	}
	// a1 was offered the call: reserved, in the hotline.
	if a := states["a1"]; a.State != "reserved" || a.Call != "c1" || len(a.Queues) != 1 || a.Queues[0] != "hotline" {
		t.Fatalf("a1 in snapshot: %+v", a)
	}
	if a := states["a2"]; a.State != "logged_out" || a.Name != "Agent 2" {
		t.Fatalf("a2 in snapshot: %+v", a)
	}
	q := snap.Queues[0]
	if q.Queue != "hotline" || q.Waiting != 1 || q.OfferedToday != 1 || q.LongestWaitS != 3 {
		t.Fatalf("queue in snapshot: %+v", q)
	}
	if len(snap.Reasons) != 2 || snap.Reasons[0] != "lunch" {
		t.Fatalf("reasons %v", snap.Reasons)
	}
	// Answered after 3 s of waiting: ASA 3 s, offered still 1.
	if err := e.acd.AgentAnswered(ctx, "demo", "c1", "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := wb.Resume(ctx, snap.Seq, snap.Epoch, "tenant"); err != nil {
		t.Fatal(err)
	}
	for {
		ev := nextOf(t, wb, protocol.EventQueueStats)
		if ev.Seq <= snap.Seq {
			t.Fatalf("replayed seq %d is not after the snapshot's %d", ev.Seq, snap.Seq)
		}
		var qs protocol.QueueStats
		if err := ev.Decode(&qs); err != nil {
			t.Fatal(err)
		}
		if qs.AnsweredToday == 1 {
			if qs.OfferedToday != 1 || qs.ASAS != 3 || qs.Waiting != 0 {
				t.Fatalf("after the answer: %+v", qs)
			}
			break
		}
	}
	// The call ends: wrap-up (30 s in this queue) says when it ends by itself.
	e.clk.Advance(10 * time.Second)
	if err := e.acd.CallEnded(ctx, "demo", "c1"); err != nil {
		t.Fatal(err)
	}
	for {
		var st protocol.AgentState
		if err := nextOf(t, wb, protocol.EventAgentState).Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Agent == "a1" && st.State == "wrap_up" {
			if want := protocol.Timestamp(e.clk.Now().Add(30 * time.Second)); st.WrapUpUntil != want {
				t.Fatalf("wrap_up_until %q, want %q", st.WrapUpUntil, want)
			}
			break
		}
	}
	if err := e.acd.WrapUpDone(ctx, "demo", "a1"); err != nil {
		t.Fatal(err)
	}
	var st protocol.AgentState
	if err := nextOf(t, wb, protocol.EventAgentState).Decode(&st); err != nil || st.State != "ready" || st.WrapUpUntil != "" {
		t.Fatalf("after wrap-up: %+v %v", st, err)
	}
}

// TestSnapshotShowsAnAgentOnlyItsOwn: an agent's snapshot holds itself and
// its queues' members it may follow, as subscribing would allow.
func TestSnapshotShowsAnAgentOnlyItsOwn(t *testing.T) {
	e := newEnv(t, cti.Config{})
	ctx := e.cctx()
	a1 := e.dial(tokAgent1)
	var snap protocol.Snapshot
	if err := a1.Do(ctx, protocol.CmdWallboardSnapshot, protocol.SnapshotRequest{}, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Agents) != 1 || snap.Agents[0].Agent != "a1" {
		t.Fatalf("agent a1 sees agents %+v", snap.Agents)
	}
	if len(snap.Queues) != 1 || snap.Queues[0].Queue != "hotline" {
		t.Fatalf("agent a1 sees queues %+v", snap.Queues)
	}
	var none protocol.Snapshot
	if err := a1.Do(ctx, protocol.CmdWallboardSnapshot, protocol.SnapshotRequest{Queues: []string{"other"}}, &none); err != nil {
		t.Fatal(err)
	}
	if len(none.Agents) != 0 || len(none.Queues) != 0 {
		t.Fatalf("narrowed to an unknown queue: %+v", none)
	}
	if err := a1.Do(ctx, protocol.CmdWallboardSnapshot, map[string]any{"queues": []string{"bad id!"}}, nil); codeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("bad queue id: %v", err)
	}
}
