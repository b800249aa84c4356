package b2bua

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/yimen/yimen/pbx/pbxstore"
)

// cdrWriter queues CDRs off the signalling path and writes them in the
// background; on shutdown it writes everything still queued.
type cdrWriter struct {
	sink CDRSink
	log  *slog.Logger
	mu   sync.Mutex
	q    []pbxstore.CDR
	kick chan struct{}
}

func newCDRWriter(sink CDRSink, log *slog.Logger) *cdrWriter {
	return &cdrWriter{sink: sink, log: log, kick: make(chan struct{}, 1)}
}

func (w *cdrWriter) add(c pbxstore.CDR) {
	w.mu.Lock()
	w.q = append(w.q, c)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *cdrWriter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			w.flush(context.WithoutCancel(ctx))
			return
		case <-w.kick:
			w.flush(ctx)
		}
	}
}

func (w *cdrWriter) flush(ctx context.Context) {
	w.mu.Lock()
	batch := w.q
	w.q = nil
	w.mu.Unlock()
	for _, c := range batch {
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if err = w.sink.InsertCDR(ctx, c); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			w.log.Error("write CDR", "call", c.ID, "err", err)
		}
	}
}
