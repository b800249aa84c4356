package pbxstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx/pbxstore"
)

func openStore(t testing.TB) *pbxstore.Store {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pbx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, err := keys.ParseMasterKey(keys.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km, err := keys.Open(ctx, db, master, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := fieldcrypt.New(ctx, km)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pbxstore.Open(ctx, db, cipher)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A call's CDR closes its journal row; the calls still open when the process
// dies become "interrupted" CDRs ending at the last heartbeat, numbers intact.
func TestCallJournalClosesInterruptedCallsAtTheLastHeartbeat(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	calls := []pbxstore.OpenCall{
		{ID: "done", Tenant: "demo", Caller: "1001", Callee: "1002", ACallID: "a1", Start: t0},
		{ID: "talking", Tenant: "demo", Caller: "13800138000", Callee: "1003", ACallID: "a2", Start: t0},
		{ID: "ringing", Tenant: "demo", Caller: "1004", Callee: "1005", ACallID: "a3", Start: t0.Add(time.Second)},
	}
	if err := s.WriteCallLog(ctx, pbxstore.CallLog{Opened: calls, Alive: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	answered := []pbxstore.OpenCall{{ID: "done", Answer: t0.Add(2 * time.Second)}, {ID: "talking", Answer: t0.Add(3 * time.Second)}}
	if err := s.WriteCallLog(ctx, pbxstore.CallLog{Answered: answered, Alive: t0.Add(3 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	end := pbxstore.CDR{ID: "done", Tenant: "demo", Caller: "1001", Callee: "1002", ACallID: "a1", Start: t0,
		Answer: t0.Add(2 * time.Second), End: t0.Add(4 * time.Second), Talk: 2 * time.Second, Ring: 2 * time.Second,
		Disposition: "answered", HangupSide: "caller", HangupCause: "bye", SIPCode: 200}
	if err := s.WriteCallLog(ctx, pbxstore.CallLog{Ended: []pbxstore.CDR{end}, Alive: t0.Add(4 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCallLog(ctx, pbxstore.CallLog{Alive: t0.Add(10 * time.Second)}); err != nil { // the last heartbeat
		t.Fatal(err)
	}
	open, err := s.OpenCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].ID != "talking" || open[0].Caller != "13800138000" || !open[0].Answer.Equal(t0.Add(3*time.Second)) || open[1].ID != "ringing" {
		t.Fatalf("journal after one CDR: %+v", open)
	}

	closed, err := s.CloseInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(closed) != 2 {
		t.Fatalf("closed %d calls, want 2", len(closed))
	}
	if open, _ := s.OpenCalls(ctx); len(open) != 0 {
		t.Errorf("journal not emptied: %+v", open)
	}
	cdrs, err := s.CDRs(ctx, pbxstore.CDRFilter{Tenant: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]pbxstore.CDR{}
	for _, c := range cdrs {
		byID[c.ID] = c
	}
	if len(byID) != 3 || byID["done"].Disposition != "answered" {
		t.Fatalf("CDRs: %+v", cdrs)
	}
	talking, ringing := byID["talking"], byID["ringing"]
	if talking.Disposition != pbxstore.DispositionInterrupted || talking.HangupCause != pbxstore.HangupCrash || talking.HangupSide != "system" {
		t.Errorf("talking call closed as %s/%s/%s", talking.Disposition, talking.HangupSide, talking.HangupCause)
	}
	if !talking.End.Equal(t0.Add(10*time.Second)) || talking.Talk != 7*time.Second || talking.Ring != 3*time.Second || talking.SIPCode != 200 {
		t.Errorf("talking call: end %v talk %v ring %v code %d; want the last heartbeat, 7 s, 3 s, 200", talking.End.Sub(t0), talking.Talk, talking.Ring, talking.SIPCode)
	}
	if talking.Caller != "13800138000" || talking.Callee != "1003" {
		t.Errorf("numbers: %q → %q", talking.Caller, talking.Callee)
	}
	if found, _ := s.CDRs(ctx, pbxstore.CDRFilter{Tenant: "demo", Number: "13800138000"}); len(found) != 1 || found[0].ID != "talking" {
		t.Errorf("blind index search found %d CDRs", len(found))
	}
	if ringing.Disposition != pbxstore.DispositionInterrupted || !ringing.Answer.IsZero() || ringing.Talk != 0 || ringing.Ring != 9*time.Second {
		t.Errorf("ringing call: %+v", ringing)
	}
	if again, err := s.CloseInterrupted(ctx); err != nil || len(again) != 0 {
		t.Errorf("second start-up closed %d (%v)", len(again), err)
	}
}

// BenchmarkCallLog is the store's cost per call: one INSERT per CDR (the
// writer before the journal); CDRs in batches of 50 as the B2BUA's writer
// now takes them under load (also the cost of a call shorter than a
// batch); and journal row at set-up, update at answer and delete with the
// CDR, each in its own batch.
func BenchmarkCallLog(b *testing.B) {
	const batch = 50
	ctx := context.Background()
	t0 := time.Now()
	calls := func(s, n int) ([]pbxstore.OpenCall, []pbxstore.OpenCall, []pbxstore.CDR) {
		var opened, answered []pbxstore.OpenCall
		var ended []pbxstore.CDR
		for i := s; i < s+n; i++ {
			id := fmt.Sprintf("call%08d", i)
			opened = append(opened, pbxstore.OpenCall{ID: id, Tenant: "bench", Caller: "1900", Callee: "1999", ACallID: id + "@a", Start: t0})
			answered = append(answered, pbxstore.OpenCall{ID: id, Answer: t0.Add(time.Second)})
			ended = append(ended, pbxstore.CDR{ID: id, Tenant: "bench", Caller: "1900", Callee: "1999", ACallID: id + "@a", Start: t0,
				Answer: t0.Add(time.Second), End: t0.Add(2 * time.Second), Disposition: "answered", HangupSide: "caller", HangupCause: "bye", SIPCode: 200})
		}
		return opened, answered, ended
	}
	b.Run("insert-cdr-each", func(b *testing.B) { // the writer before batches: one autocommit INSERT per CDR
		s := openStore(b)
		cpu0 := cpuTime()
		b.ResetTimer()
		for i := 0; i < b.N; i += batch {
			_, _, ended := calls(i, batch)
			for _, c := range ended {
				if err := s.InsertCDR(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/call")
	})
	for _, journal := range []bool{false, true} {
		b.Run(map[bool]string{false: "cdr-batch", true: "journal"}[journal], func(b *testing.B) {
			s := openStore(b)
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				opened, answered, ended := calls(i, batch)
				if journal {
					if err := s.WriteCallLog(ctx, pbxstore.CallLog{Opened: opened, Alive: t0}); err != nil {
						b.Fatal(err)
					}
					if err := s.WriteCallLog(ctx, pbxstore.CallLog{Answered: answered, Alive: t0}); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.WriteCallLog(ctx, pbxstore.CallLog{Ended: ended, Alive: t0}); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time, not wall time: on a shared box the wall clock
			// measures the neighbours.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/call")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
