package system_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
)

// A queue call's agent transfers the caller to a colleague from the desk
// phone (REFER): the ACD frees the agent at once (call.transferred, then
// agent.state ready) while the caller is still talking to the colleague,
// not when the caller finally hangs up.
func TestQueueAgentTransferFromPhoneFreesTheAgent(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	sys := p.DialCTI(t, p.CTIToken(t, "system"))
	if _, err := sys.Subscribe(t.Context(), "tenant"); err != nil {
		t.Fatal(err)
	}
	agent := referringPhone(t, p, "1002", "127.0.130.2", "1003", 1500)
	p.Callee(t, "1003", "127.0.130.3", "uas_answer.xml", false, map[string]string{"play_pcap": "1"})

	type seen struct {
		typ  string
		data map[string]any
	}
	events := make(chan seen, 256)
	go func() {
		for ev := range sys.Events() {
			var d map[string]any
			_ = json.Unmarshal(ev.Data, &d)
			events <- seen{ev.Type, d}
		}
	}()
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 9000}}, "bye")
	if err := p.Call(t, "1001", "127.0.130.1", scen, "8000", nil).Check(1); err != nil {
		t.Fatal(err)
	}
	var order []string
	deadline := time.After(10 * time.Second)
collect:
	for {
		select {
		case e := <-events:
			switch {
			case e.typ == protocol.EventCallTransferred && e.data["mode"] == "blind" && e.data["to"] == "1003":
				order = append(order, "transferred")
			case e.typ == protocol.EventAgentState && e.data["agent"] == "a1002" && e.data["state"] == "ready" && len(order) > 0:
				order = append(order, "agent ready")
			case e.typ == protocol.EventCallEnded && e.data["callee"] == "8000":
				order = append(order, "call ended")
				break collect
			}
		case <-deadline:
			break collect
		}
	}
	want := []string{"transferred", "agent ready", "call ended"}
	if len(order) != len(want) || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Fatalf("events in order %v, want %v: the agent must be free before the caller hangs up", order, want)
	}
	if rr, err := agent.Stop(); err != nil || rr.Successful != 1 {
		t.Errorf("agent phone: 202, NOTIFY and BYE not all seen: %+v %v", rr, err)
	}
}
