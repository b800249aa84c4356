package boot

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

// acdTransfers frees an agent who transferred a queue call away, whichever
// way they did it: a REFER from their desk phone (blind or with Replaces) as
// well as a CTI command. Until the call itself ends the agent would
// otherwise stay on_call in the ACD and get no new calls.
type acdTransfers struct {
	acd *acd.ACD
	log *slog.Logger
}

var _ b2bua.TransferObserver = acdTransfers{}

func (t acdTransfers) CallTransfer(ci b2bua.CallInfo, ev b2bua.TransferEvent) {
	if ev.State != b2bua.ConsultCompleted {
		return
	}
	if _, ok := t.acd.AgentByEndpoint(ci.Tenant, ev.From); !ok {
		return
	}
	// The ACD knows the call only if it came through a queue; a CTI
	// transfer has already told it (ErrNotFound then).
	if err := t.acd.CallEnded(context.Background(), ci.Tenant, ci.ID); err != nil && !errors.Is(err, errs.ErrNotFound) {
		t.log.Warn("ACD not told of a transfer", "call", ci.ID, "err", err)
	}
}

func (acdTransfers) CallAnswered(b2bua.CallInfo, *media.Bridge) {}
func (acdTransfers) CallHold(b2bua.CallInfo, bool)              {}
func (acdTransfers) CallEnded(b2bua.CallInfo, pbxstore.CDR)     {}
