package report

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/oa"
)

const tenant = "t1"

type fixture struct {
	rpt *Service
	oa  *oa.Service
	db  *store.DB
	now time.Time
}

// newFixture is an OA whose CTI events feed the reports, as cmd/oa wires them.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mk, _ := keys.ParseMasterKey(keys.GenerateMasterKey())
	km, err := keys.Open(ctx, db, mk, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fieldcrypt.New(ctx, km)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	if f.rpt, err = New(ctx, Deps{DB: db, Now: func() time.Time { return f.now }}); err != nil {
		t.Fatal(err)
	}
	if f.oa, err = oa.New(ctx, oa.Config{}, oa.Deps{DB: db, Fields: fc, Events: f.rpt, Now: func() time.Time { return f.now }}); err != nil {
		t.Fatal(err)
	}
	return f
}

// at is 2026-03-02 hh:mm:ss UTC.
func at(hms string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", "2026-03-02 "+hms)
	if err != nil {
		panic(err)
	}
	return t
}

// apply delivers events to the OA as its CTI link does, with seqs from 1.
func (f *fixture) apply(t testing.TB, epoch string, events ...any) {
	t.Helper()
	cur, _ := f.oa.Cursor(context.Background(), tenant)
	seq := uint64(0)
	if cur.Epoch == epoch {
		seq = cur.Seq
	}
	for _, e := range events {
		var typ string
		var when time.Time
		switch d := e.(type) {
		case protocol.CallEnded:
			typ, when = protocol.EventCallEnded, parseTime(d.End, time.Time{})
		case protocol.AgentState:
			typ, when = protocol.EventAgentState, parseTime(d.Since, time.Time{})
		case protocol.CallSurvey:
			typ, when = protocol.EventCallSurvey, f.now
		case protocol.CallTransferred:
			typ, when = protocol.EventCallTransferred, f.now
		default:
			t.Fatalf("no event for %T", e)
		}
		raw, _ := json.Marshal(e)
		seq++
		env := protocol.Envelope{V: 1, Type: typ, Seq: seq, TS: protocol.Timestamp(when), Tenant: tenant, Data: raw}
		if _, err := f.oa.ApplyEvent(context.Background(), tenant, epoch, env); err != nil {
			t.Fatal(err)
		}
	}
}

func ts(hms string) string { return protocol.Timestamp(at(hms)) }

// queueCall is a call.ended of a queue call: waited wait s from start,
// then (if agent is set) talked talk s, hold included.
func queueCall(id, agent, start string, wait, talk, hold int) protocol.CallEnded {
	st := at(start)
	d := protocol.CallEnded{Call: id, Queue: "hotline", Agent: agent, Caller: "13800138000", Callee: "8001", Start: protocol.Timestamp(st),
		WaitS: wait, Disposition: "answered", HangupSide: "caller", HangupCause: "bye", SIPCode: 200}
	if agent != "" {
		d.Answer = protocol.Timestamp(st.Add(time.Duration(wait) * time.Second))
		d.End = protocol.Timestamp(st.Add(time.Duration(wait+talk) * time.Second))
		d.TalkS, d.HoldS = talk, hold
	} else {
		d.End = protocol.Timestamp(st.Add(time.Duration(wait) * time.Second))
		d.Disposition = "cancelled"
	}
	return d
}

func agentState(agent, since, state, reason, call string) protocol.AgentState {
	return protocol.AgentState{Agent: agent, State: state, Reason: reason, Since: ts(since), Call: call}
}

func num(t *testing.T, row map[string]any, key string) float64 {
	t.Helper()
	switch v := row[key].(type) {
	case int64:
		return float64(v)
	case *float64:
		if v == nil {
			t.Fatalf("%s is null in %v", key, row)
		}
		return *v
	}
	t.Fatalf("%s: %T %v", key, row[key], row[key])
	return 0
}
