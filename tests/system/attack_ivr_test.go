package system_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/yimen/yimen/ivr"
)

// The IVR's http statement takes back a reply that may set variables and
// run statements. A reply nobody signed (a spoofed CRM, anyone on the
// path) ran its DSL: here it records the caller into a mailbox of its
// choosing. An unsigned reply is now ignored and the fallback runs; the
// same reply signed with the key for that request runs.
func TestAttackIVRUnsignedControlReply(t *testing.T) {
	t.Parallel()
	key := "ivr-control-key-of-32-bytes-0123456789"
	const forged = `{"dsl": "record mailbox evil max 1s beep off"}`
	var signed atomic.Bool
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if signed.Load() {
			w.Header().Set(ivr.HeaderSignature, ivr.SignReply([]byte(key), r.Header.Get(ivr.HeaderSignature), []byte(forged)))
		}
		io.WriteString(w, forged)
	}))
	defer crm.Close()
	p, _ := ivrPBX(t, func(c *cfgT) {
		keyFile := filepath.Join(t.TempDir(), "ivr-http.key")
		os.WriteFile(keyFile, []byte(key), 0o600)
		// Each way ends with a prompt, so the caller has its ACK out before the BYE.
		flow := "start:\n  answer\n  http \"" + crm.URL + "/ivr\" timeout 2s send $caller:\n    fallback:\n      play \"goodbye.wav\"\n      hangup\n" +
			"  play \"goodbye.wav\"\n  hangup\n"
		os.WriteFile(filepath.Join(c.IVR.Flows, "crm.ivr"), []byte(flow), 0o644)
		c.IVR.HTTPKeyFile = keyFile
		c.Tenants[0].IVR = map[string]string{"8000": "crm"}
	})
	call := func() int {
		scen := ivrCaller(t, []ivrStep{{Kind: "audio"}}, "wait_bye")
		if err := p.Call(t, "1001", "127.0.239.1", scen, "8000", nil).Check(1); err != nil {
			t.Fatal(err)
		}
		vms, err := storeOf(t, p).Voicemails(context.Background(), "demo", 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(vms)
	}
	if n := call(); n != 0 {
		t.Fatalf("an unsigned reply's dsl ran: %d voicemails recorded", n)
	}
	signed.Store(true)
	if n := call(); n != 1 {
		t.Fatalf("the signed reply's dsl: %d voicemails, want 1", n)
	}
}
