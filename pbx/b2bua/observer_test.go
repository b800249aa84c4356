package b2bua

import (
	"fmt"
	"slices"
	"testing"

	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// hearsAll hears every event; hearsTransfers only transfers.
type hearsAll struct{ log *[]string }

func (h hearsAll) CallMedia(ev callevent.Answered, _ callevent.Media) {
	*h.log = append(*h.log, "media "+ev.ID)
}
func (h hearsAll) CallAnswered(ev callevent.Answered) { *h.log = append(*h.log, "answered "+ev.ID) }
func (h hearsAll) CallHold(ev callevent.Hold) {
	*h.log = append(*h.log, fmt.Sprint("hold ", ev.ID, " ", ev.Held))
}
func (h hearsAll) CallEnded(ev callevent.Ended) {
	*h.log = append(*h.log, "ended "+ev.ID+" "+ev.CDR.Disposition+" "+ev.CDR.Caller)
}
func (h hearsAll) CallTransfer(ev callevent.Transfer) {
	*h.log = append(*h.log, "transfer "+ev.ID+" "+ev.State+" "+ev.To)
}

type hearsTransfers struct{ log *[]string }

func (h hearsTransfers) CallTransfer(ev callevent.Transfer) {
	*h.log = append(*h.log, "only transfer "+ev.Tenant+"/"+ev.ID)
}

func TestObserversHearWhatTheyImplementInOrder(t *testing.T) {
	var log []string
	m := &Manager{}
	m.AddObserver(hearsTransfers{&log})
	m.AddObserver(hearsAll{&log})
	c := &call{m: m, id: "c1", tenant: "demo", caller: "1001", callee: "1002", state: stateAnswered}
	m.notifyAnswered(c, nil)
	m.notifyHold(c, true)
	m.notifyTransfer(c, callevent.Transfer{Mode: callevent.TransferBlind, State: callevent.ConsultCompleted, From: "1002", To: "1003"})
	m.notifyEnded(c, pbxstore.CDR{ID: "c1", Caller: "1001", Disposition: "answered"})
	want := []string{
		"media c1", "answered c1", "hold c1 true",
		"only transfer demo/c1", "transfer c1 completed 1003",
		"ended c1 answered 1001",
	}
	if !slices.Equal(log, want) {
		t.Fatalf("heard %q\nwant  %q", log, want)
	}
}

func TestObserverOfNothingIsAWiringMistake(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AddObserver took a value that observes no call event")
		}
	}()
	(&Manager{}).AddObserver(struct{}{})
}
