package contactcenter

import (
	"context"
	"errors"
	"log/slog"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/media"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// Transfers frees an agent who transferred a queue call away, whichever
// way they did it: a REFER from their desk phone (blind or with Replaces) as
// well as a CTI command. Until the call itself ends the agent would
// otherwise stay on_call in the ACD and get no new calls.
type Transfers struct {
	ACD *acd.ACD
	Log *slog.Logger
}

var _ b2bua.TransferObserver = Transfers{}

// CallTransfer implements b2bua.TransferObserver.
func (t Transfers) CallTransfer(ci b2bua.CallInfo, ev b2bua.TransferEvent) {
	if ev.State != b2bua.ConsultCompleted {
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

// CallAnswered implements b2bua.Observer.
func (Transfers) CallAnswered(b2bua.CallInfo, *media.Bridge) {}

// CallHold implements b2bua.Observer.
func (Transfers) CallHold(b2bua.CallInfo, bool) {}

// CallEnded implements b2bua.Observer.
func (Transfers) CallEnded(b2bua.CallInfo, pbxstore.CDR) {}
