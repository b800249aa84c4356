package contactcenter

import (
	"context"
	"errors"
	"log/slog"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/callevent"
)

// Transfers frees an agent who transferred a queue call away, whichever
// way they did it: a REFER from their desk phone (blind or with Replaces) as
// well as a CTI command. Until the call itself ends the agent would
// otherwise stay on_call in the ACD and get no new calls.
type Transfers struct {
	ACD *acd.ACD
	Log *slog.Logger
}

var _ callevent.TransferObserver = Transfers{}

// CallTransfer implements callevent.TransferObserver.
func (t Transfers) CallTransfer(ev callevent.Transfer) {
	ci := ev.Call
	if ev.State != callevent.ConsultCompleted {
		return
	}
	if _, ok := t.ACD.AgentByEndpoint(ci.Tenant, ev.From); !ok {
		return
	}
	// The ACD knows the call only if it came through a queue; a CTI
	// transfer has already told it (ErrNotFound then).
	if err := t.ACD.CallEnded(context.Background(), ci.Tenant, ci.ID); err != nil && !errors.Is(err, errs.ErrNotFound) {
		t.Log.Warn("ACD not told of a transfer", "call", ci.ID, "err", err)
	}
}
