package contactcenter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// directCalls tells the ACD of the calls agents place (call.dial): the agent
// is busy while one lasts (AgentBusy, offered nothing), and one that was
// never answered sends them to wrap-up (CallFailed) rather than straight
// back to ready. Calls through a queue are the ACD's own and not tracked.
type directCalls struct {
	acd *acd.ACD
	log *slog.Logger
	mu  sync.Mutex
	// placed: call id → tenant, between AgentBusy and the call's end.
	placed map[string]string
	// early: calls that ended before Dial recorded them (a failure within
	// milliseconds), so Dial ends them at once.
	early map[string]callevent.Ended
}

var _ callevent.EndObserver = (*directCalls)(nil)

func newDirectCalls(a *acd.ACD, log *slog.Logger) *directCalls {
	return &directCalls{acd: a, log: log, placed: map[string]string{}, early: map[string]callevent.Ended{}}
}

// reserve makes agent busy in the ACD under a provisional id before their
// call is placed, so that no queue call is offered (and, on a browser,
// answered by the auto-answer meant for this call) in between. ok is false
// when the ACD does not take it: the agent is logged out, ringing for a
// queue call or already on one.
func (d *directCalls) reserve(ctx context.Context, tenant, agent string) (provisional string, ok bool) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	provisional = "dial-" + hex.EncodeToString(b[:])
	if err := d.acd.AgentBusy(ctx, tenant, agent, provisional); err != nil {
		if !errors.Is(err, errs.ErrConflict) {
			d.log.Warn("ACD not told of an agent's call", "agent", agent, "err", err)
		}
		return "", false
	}
	return provisional, true
}

// release gives the agent back when the call could not be placed.
func (d *directCalls) release(ctx context.Context, tenant, provisional string) {
	if err := d.acd.CallEnded(ctx, tenant, provisional); err != nil && !errors.Is(err, errs.ErrNotFound) {
		d.log.Warn("ACD not told of a call not placed", "err", err)
	}
}

// placed names the provisional call by the PBX's id, from which its end
// will be reported.
func (d *directCalls) place(ctx context.Context, tenant, provisional, callID string) {
	if err := d.acd.RekeyCall(ctx, tenant, provisional, callID); err != nil {
		d.log.Warn("ACD not told of an agent's call id", "call", callID, "err", err)
		d.release(ctx, tenant, provisional)
		return
	}
	d.mu.Lock()
	ev, ended := d.early[callID]
	delete(d.early, callID)
	if !ended {
		d.placed[callID] = tenant
	}
	d.mu.Unlock()
	if ended {
		d.end(tenant, ev)
	}
}

// CallEnded implements callevent.EndObserver.
func (d *directCalls) CallEnded(ev callevent.Ended) {
	d.mu.Lock()
	tenant, ok := d.placed[ev.ID]
	delete(d.placed, ev.ID)
	if !ok {
		d.forgetEarly(ev.CDR.End)
		if _, waiting := d.early[ev.ID]; !waiting && len(d.early) < 1024 {
			d.early[ev.ID] = ev
		}
	}
	d.mu.Unlock()
	if ok {
		d.end(tenant, ev)
	}
}

// forgetEarly drops early ends older than a minute: calls never placed
// through Dial (every call's end passes here). Called with mu held.
func (d *directCalls) forgetEarly(now time.Time) {
	for id, ev := range d.early {
		if now.Sub(ev.CDR.End) > time.Minute {
			delete(d.early, id)
		}
	}
}

func (d *directCalls) end(tenant string, ev callevent.Ended) {
	ctx := context.Background()
	var err error
	if ev.CDR.Disposition == "answered" { // the CDR's word for a call the far end picked up
		err = d.acd.CallEnded(ctx, tenant, ev.ID)
	} else {
		err = d.acd.CallFailed(ctx, tenant, ev.ID)
	}
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		d.log.Warn("ACD not told of the end of an agent's call", "call", ev.ID, "err", err)
	}
}
