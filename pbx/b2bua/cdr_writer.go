package b2bua

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// heartbeatEvery is how often the writer stores "the PBX is alive" when no
// call changes state: the end time a crash gives the calls it interrupts is
// at most this much early.
const heartbeatEvery = time.Second

// flushGap is the least time between two of the writer's transactions.
// Without it every call event under load was a transaction of its own (a
// few rows each, and BEGIN, the heartbeat and COMMIT cost more than the
// rows): at 300 calls/s that was 17 % of the process's CPU. A call set up
// is journalled at most this much later, a window a crash can lose.
const flushGap = 100 * time.Millisecond

// cdrWriter keeps the call journal and writes CDRs off the signalling path:
// a call set up, a call answered and a call ended are queued and written in
// batches, one transaction each, in the order they happened; a CDR deletes
// its call's journal row in the same transaction. On shutdown it writes
// everything still queued.
type cdrWriter struct {
	sink CDRSink
	log  *slog.Logger
	now  func() time.Time
	mu   sync.Mutex
	q    pbxstore.CallLog
	kick chan struct{}
}

var _ callevent.AnswerObserver = (*cdrWriter)(nil)

func newCDRWriter(sink CDRSink, log *slog.Logger, now func() time.Time) *cdrWriter {
	return &cdrWriter{sink: sink, log: log, now: now, kick: make(chan struct{}, 1)}
}

// opened journals a call that was just set up.
func (w *cdrWriter) opened(o pbxstore.OpenCall) {
	w.mu.Lock()
	w.q.Opened = append(w.q.Opened, o)
	w.mu.Unlock()
	w.wake()
}

// add queues a finished call's CDR.
func (w *cdrWriter) add(c pbxstore.CDR) {
	w.mu.Lock()
	w.q.Ended = append(w.q.Ended, c)
	w.mu.Unlock()
	w.wake()
}

// answered journals a call's answer time.
func (w *cdrWriter) answered(id string, at time.Time) {
	if at.IsZero() {
		return
	}
	w.mu.Lock()
	w.q.Answered = append(w.q.Answered, pbxstore.OpenCall{ID: id, Answer: at})
	w.mu.Unlock()
	w.wake()
}

// CallAnswered journals the answer of a bridged call (the writer is the
// B2BUA's first observer); calls the PBX answers itself (IVR) and the
// agent's answer of a call it placed are journalled where they happen.
func (w *cdrWriter) CallAnswered(ev callevent.Answered) { w.answered(ev.ID, ev.Answered) }

func (w *cdrWriter) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *cdrWriter) run(ctx context.Context) {
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	gap := time.NewTimer(flushGap)
	defer gap.Stop()
	for {
		w.flush(ctx)
		// What comes in during the gap goes into the next batch.
		gap.Reset(flushGap)
		select {
		case <-ctx.Done():
			w.flush(context.WithoutCancel(ctx))
			return
		case <-gap.C:
		}
		select {
		case <-ctx.Done():
			w.flush(context.WithoutCancel(ctx))
			return
		case <-w.kick:
		case <-beat.C:
		}
	}
}

func (w *cdrWriter) flush(ctx context.Context) {
	w.mu.Lock()
	batch := w.q
	w.q = pbxstore.CallLog{}
	w.mu.Unlock()
	batch = skipEnded(batch)
	batch.Alive = w.now()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = w.sink.WriteCallLog(ctx, batch); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.log.Error("write call log", "err", err, "opened", len(batch.Opened), "cdrs", len(batch.Ended))
	// One bad CDR must not take the batch's others with it.
	for _, c := range batch.Ended {
		if err := w.sink.WriteCallLog(ctx, pbxstore.CallLog{Ended: []pbxstore.CDR{c}}); err != nil {
			w.log.Error("write CDR", "call", c.ID, "err", err)
		}
	}
}

// skipEnded drops the journal entries of calls whose CDR is in the same
// batch: a call shorter than a write never touches the journal.
func skipEnded(b pbxstore.CallLog) pbxstore.CallLog {
	if len(b.Ended) == 0 || len(b.Opened)+len(b.Answered) == 0 {
		return b
	}
	ended := make(map[string]struct{}, len(b.Ended))
	for _, c := range b.Ended {
		ended[c.ID] = struct{}{}
	}
	keep := func(list []pbxstore.OpenCall) []pbxstore.OpenCall {
		out := list[:0]
		for _, o := range list {
			if _, gone := ended[o.ID]; !gone {
				out = append(out, o)
			}
		}
		return out
	}
	b.Opened, b.Answered = keep(b.Opened), keep(b.Answered)
	return b
}
