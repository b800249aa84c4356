package pbx_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/pbx/pbxtest"
)

func ctiToken(t *testing.T, p *pbxtest.PBX, role string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.Config.DataDir, "cti-tokens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == role {
			return f[0]
		}
	}
	t.Fatalf("no %s token", role)
	return ""
}

// A supervisor's CTI client sees a queued call reach the agent, in order,
// with consecutive seq numbers; an agent command over CTI changes ACD state.
func TestCTIEventsForAQueuedCall(t *testing.T) {
	p, _ := ivrPBX(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, "ws://"+p.Server.HTTPAddr()+"/cti", client.Options{Token: ctiToken(t, p, "system")})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.Subscribe(ctx, "tenant"); err != nil {
		t.Fatal(err)
	}
	uas(t, p, "1002", "127.0.23.2", "uas_answer.xml", false, map[string]string{"hangup_ms": "1500", "play_pcap": "1"})
	scen := ivrCaller(t, []ivrStep{{Kind: "pause", Ms: 2600}, {Kind: "dtmf", Key: "1"}, {Kind: "pause", Ms: 3500}}, "bye")
	caller(t, p, "1001", "127.0.23.1", scen, "8000", nil)

	var seen []string
	var last uint64
	deadline := time.After(10 * time.Second)
	for !contains(seen, protocol.EventCallEnded) {
		select {
		case ev := <-cl.Events():
			if last != 0 && ev.Seq != last+1 {
				t.Fatalf("seq jumped from %d to %d at %s", last, ev.Seq, ev.Type)
			}
			last = ev.Seq
			seen = append(seen, ev.Type)
		case <-deadline:
			t.Fatalf("events so far: %v", seen)
		}
	}
	for _, want := range []string{protocol.EventCallRinging, protocol.EventCallAnswered, protocol.EventAgentState} {
		if !contains(seen, want) {
			t.Errorf("no %s event in %v", want, seen)
		}
	}
	if i, j := index(seen, protocol.EventCallRinging), index(seen, protocol.EventCallAnswered); i > j {
		t.Errorf("answered before ringing: %v", seen)
	}

	// Agent state commands reach the ACD.
	if err := cl.NotReady(ctx, "a1002", "lunch"); err != nil {
		t.Fatalf("notready: %v", err)
	}
	for {
		select {
		case ev := <-cl.Events():
			if ev.Type == protocol.EventAgentState && strings.Contains(string(ev.Data), "lunch") {
				return
			}
		case <-deadline:
			t.Fatal("no agent.state for not ready")
		}
	}
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
