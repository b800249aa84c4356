package system_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx/pbxstore"
	"github.com/yimen/yimen/tests/testpbx"
)

// crashCall is what the API says of a call after the restart.
type crashCDR struct {
	ID          string `json:"id"`
	Disposition string `json:"disposition"`
	HangupCause string `json:"hangup_cause"`
	TalkMS      int64  `json:"talk_ms"`
	Answer      string `json:"answer"`
}

type crashRecording struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	DurationMS int64  `json:"duration_ms"`
}

// kill -9 of a PBX carrying recorded calls with RTP flowing: after the
// restart every call has a closed CDR ("interrupted", talk time up to the
// kill), every recording is a readable WAV as long as that talk time, the
// callee's registration is back without a new REGISTER, and the database
// passes PRAGMA integrity_check.
func TestKill9WithCallsUpLeavesClosedCDRsAndRecordings(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	const n = 20
	p := testpbx.NewProcess(t, "127.0.110.1", "recording: {policy: always, format: alaw}\ncalls: {drain_timeout: 2s, max_per_extension: 0}")
	p.Start()

	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: "127.0.110.3",
		RTPEcho: true, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	reg := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIP, LocalIP: "127.0.110.3",
		User: "1002", Password: p.Secret("1002"), Service: "1002",
		Vars: map[string]string{"contact_port": fmt.Sprint(callee.Port()), "expires": "600"}})
	if err := reg.Check(1); err != nil {
		t.Fatalf("register 1002: %v", err)
	}
	// The callers would talk for a minute; the kill comes first.
	callers, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIP, LocalIP: "127.0.110.2",
		User: "1001", Password: p.Secret("1001"), Service: "1002", Calls: n, Rate: 20, Limit: n,
		Vars: map[string]string{"talk_ms": "60000"}, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callers.Stop() })

	token := p.Operator()
	deadline := time.Now().Add(15 * time.Second)
	for recording := 0; recording < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls recording after 15 s", recording, n)
		}
		time.Sleep(200 * time.Millisecond)
		var list []crashRecording
		p.GetJSON(token, "/api/v1/recordings?tenant=demo&state=recording", &list)
		recording = len(list)
	}
	time.Sleep(3 * time.Second) // audio flowing into every recording
	p.Kill()
	callers.Stop()
	integrityCheck(t, filepath.Join(p.Dir, "yimen.db"))

	p.Start()
	if !strings.Contains(p.Log(), fmt.Sprintf("calls interrupted by a stop without drain closed\" cdrs=%d", n)) &&
		!strings.Contains(p.Log(), fmt.Sprintf("calls interrupted by a stop without drain closed cdrs=%d", n)) {
		t.Errorf("no start-up line closing %d calls in the log", n)
	}
	token = p.Operator()
	var cdrs []crashCDR
	p.GetJSON(token, "/api/v1/cdrs?tenant=demo&limit=1000", &cdrs)
	byID := map[string]crashCDR{}
	for _, c := range cdrs {
		byID[c.ID] = c
		// Answered at least 3 s before the kill; the CDR ends at the last
		// heartbeat (at most 1 s earlier, later still on a loaded box).
		if c.Disposition != pbxstore.DispositionInterrupted || c.HangupCause != pbxstore.HangupCrash || c.Answer == "" || c.TalkMS < 1500 {
			t.Errorf("CDR %s: %s/%s, answer %q, talk %d ms; want an answered call closed as interrupted by the crash", c.ID, c.Disposition, c.HangupCause, c.Answer, c.TalkMS)
		}
	}
	if len(cdrs) != n {
		t.Errorf("%d CDRs after the restart, want %d", len(cdrs), n)
	}

	var recs []crashRecording
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		p.GetJSON(token, "/api/v1/recordings?tenant=demo&state=recovered", &recs)
		if len(recs) >= n || time.Now().After(deadline) {
			break
		}
	}
	if len(recs) != n {
		t.Errorf("%d recordings recovered, want %d", len(recs), n)
	}
	worst := int64(0)
	for _, r := range recs {
		c, ok := byID[r.ID]
		if !ok {
			t.Errorf("recording %s has no CDR", r.ID)
			continue
		}
		// The recording holds what reached the disk (flushed every 0.5 s,
		// after the jitter delay); the CDR ends at the last heartbeat (1 s).
		worst = max(worst, r.DurationMS-c.TalkMS, c.TalkMS-r.DurationMS)
		if d := r.DurationMS - c.TalkMS; d < -1500 || d > 1500 {
			t.Errorf("recording %s: %d ms, CDR talk %d ms", r.ID, r.DurationMS, c.TalkMS)
		}
		wavMS, err := checkWAV(recordingFile(t, p.Dir, r.ID))
		if err != nil {
			t.Errorf("recording %s: %v", r.ID, err)
		} else if d := wavMS - r.DurationMS; d < -20 || d > 20 {
			t.Errorf("recording %s: the file holds %d ms, the index says %d ms", r.ID, wavMS, r.DurationMS)
		}
	}

	t.Logf("%d CDRs, %d recordings recovered; worst |recording - talk time| %d ms", len(cdrs), len(recs), worst)

	// The callee's registration survived: a call reaches it with no new REGISTER.
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIP, LocalIP: "127.0.110.2",
		User: "1001", Password: p.Secret("1001"), Service: "1002", Vars: map[string]string{"talk_ms": "500"}})
	if err := res.Check(1); err != nil {
		t.Errorf("call to the registered callee after the restart: %v", err)
	}
	p.Stop()
	integrityCheck(t, filepath.Join(p.Dir, "yimen.db"))
}

func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&got); err != nil || got != "ok" {
		t.Errorf("PRAGMA integrity_check: %q %v", got, err)
	}
}

func recordingFile(t *testing.T, dir, id string) string {
	t.Helper()
	var path string
	_ = filepath.WalkDir(filepath.Join(dir, "recordings"), func(f string, d fs.DirEntry, err error) error {
		if err == nil && filepath.Base(f) == id+".wav" {
			path = f
		}
		return nil
	})
	if path == "" {
		t.Fatalf("recording %s: no file", id)
	}
	return path
}

// checkWAV reads a WAV file as a player would: the RIFF size is the file's,
// the data chunk runs to the end in whole frames, and each channel carries
// sound rather than one repeated byte (the RTP reached the relay). It
// returns the length in ms.
func checkWAV(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	if len(b) < 12 || !bytes.Equal(b[0:4], []byte("RIFF")) || !bytes.Equal(b[8:12], []byte("WAVE")) {
		return 0, fmt.Errorf("not a WAV file")
	}
	if got := int(le.Uint32(b[4:])) + 8; got != len(b) {
		return 0, fmt.Errorf("RIFF size says %d bytes, the file has %d", got, len(b))
	}
	var channels, align, rate int
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(le.Uint32(b[off+4:]))
		body := b[off+8:]
		switch id {
		case "fmt ":
			channels, rate, align = int(le.Uint16(body[2:])), int(le.Uint32(body[4:])), int(le.Uint16(body[12:]))
		case "data":
			if channels == 0 || align == 0 {
				return 0, fmt.Errorf("data before fmt")
			}
			if size != len(body) || size%align != 0 {
				return 0, fmt.Errorf("data chunk of %d bytes in %d bytes left, frames of %d", size, len(body), align)
			}
			for ch := range channels {
				seen := map[byte]bool{}
				for i := ch * align / channels; i < size; i += align {
					seen[body[i]] = true
				}
				if len(seen) < 8 {
					return 0, fmt.Errorf("channel %d holds %d distinct values: no audio", ch, len(seen))
				}
			}
			return int64(size/align) * 1000 / int64(rate), nil
		}
		off += 8 + size + size%2
	}
	return 0, fmt.Errorf("no data chunk")
}

// The journal follows calls in progress: a row from set-up, the answer
// time once answered — bridged by an extension or answered by the IVR —
// and nothing left once the calls have their CDRs.
func TestCallJournalFollowsCallsInProgress(t *testing.T) {
	t.Parallel()
	p, _ := ivrPBX(t)
	p.Callee(t, "1003", "127.0.111.3", "uas_answer.xml", true, nil)
	var procs []*sipp.Proc
	for _, callee := range []string{"1003", "8000"} {
		proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.111.1",
			User: "1001", Password: p.Secrets["1001"], Service: callee, Vars: map[string]string{"talk_ms": "3000"},
			Dir: t.TempDir(), Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, proc)
	}
	st := p.Server.Store()
	var open []pbxstore.OpenCall
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		now, err := st.OpenCalls(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(now) > 0 || open == nil {
			open = now // the last view with calls in it
		}
		answered := 0
		for _, o := range open {
			if !o.Answer.IsZero() {
				answered++
			}
		}
		if answered == 2 || time.Now().After(deadline) {
			break
		}
	}
	callees := map[string]bool{}
	for _, o := range open {
		if o.Answer.IsZero() || o.Caller != "1001" || o.Tenant != "demo" || o.ACallID == "" || o.Answer.Before(o.Start) {
			t.Errorf("journal row %+v: want an answered call of 1001", o)
		}
		callees[o.Callee] = true
	}
	if len(open) != 2 || !callees["1003"] || !callees["8000"] {
		t.Fatalf("journal holds %d calls (%v), want the call to 1003 and the IVR call", len(open), callees)
	}
	for _, proc := range procs {
		res, err := proc.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Check(1); err != nil {
			t.Errorf("caller: %v", err)
		}
	}
	ended := map[string]bool{}
	for _, c := range p.CDRs(t, 2) {
		ended[c.ID] = true
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		left, err := st.OpenCalls(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal still holds %d calls after their end", len(left))
		}
	}
	for _, o := range open {
		if !ended[o.ID] {
			t.Errorf("call %s (to %s) left the journal without a CDR", o.ID, o.Callee)
		}
	}
}
