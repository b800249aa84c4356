package system_test

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// A snapshot taken by yimen-backup while calls are up and recording, then
// restored onto the stopped PBX (its database moved aside): the restored
// PBX serves the calls finished before the snapshot with the same CDRs,
// their recordings byte for byte, and reaches the registered phone
// without a new REGISTER.
func TestBackupTakenUnderLoadRestores(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	bin := filepath.Join(t.TempDir(), "yimen-backup")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/yimen/yimen/cmd/yimen-backup").CombinedOutput(); err != nil {
		t.Fatalf("build yimen-backup: %v\n%s", err, out)
	}
	p := testpbx.NewProcess(t, "127.0.112.1", "recording: {policy: always, format: alaw}\ncalls: {drain_timeout: 1s, max_per_extension: 0}")
	p.Start()
	callee, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uas_answer.xml"), LocalIP: "127.0.112.3",
		RTPEcho: true, Dir: t.TempDir(), Timeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Stop() })
	reg := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIP, LocalIP: "127.0.112.3",
		User: "1002", Password: p.Secret("1002"), Service: "1002",
		Vars: map[string]string{"contact_port": fmt.Sprint(callee.Port()), "expires": "600"}})
	if err := reg.Check(1); err != nil {
		t.Fatalf("register 1002: %v", err)
	}
	call := func(n int, talk string) *sipp.Proc {
		proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIP, LocalIP: "127.0.112.2",
			User: "1001", Password: p.Secret("1001"), Service: "1002", Calls: n, Rate: 10, Limit: n,
			Vars: map[string]string{"talk_ms": talk}, Dir: t.TempDir(), Timeout: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { proc.Stop() })
		return proc
	}
	finished := call(3, "1500")
	if res, err := finished.Wait(); err != nil || res.Check(3) != nil {
		t.Fatalf("calls before the snapshot: %v %v", err, res)
	}

	token := p.Operator()
	var cdrs []crashCDR
	for deadline := time.Now().Add(10 * time.Second); len(cdrs) < 3 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p.GetJSON(token, "/api/v1/cdrs?tenant=demo&limit=100", &cdrs)
	}
	var recs []crashRecording
	for deadline := time.Now().Add(10 * time.Second); len(recs) < 3 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p.GetJSON(token, "/api/v1/recordings?tenant=demo&state=complete", &recs)
	}
	if len(cdrs) != 3 || len(recs) != 3 {
		t.Fatalf("before the snapshot: %d CDRs, %d complete recordings; want 3 and 3", len(cdrs), len(recs))
	}
	audio := map[string][]byte{}
	for _, r := range recs {
		audio[r.ID] = recordingAudio(t, p, token, r.ID)
	}

	// The load: five calls talking and recording while the snapshot runs.
	busy := call(5, "20000")
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var inProgress []crashRecording
		p.GetJSON(token, "/api/v1/recordings?tenant=demo&state=recording", &inProgress)
		if len(inProgress) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 calls recording", len(inProgress))
		}
	}
	snap := filepath.Join(t.TempDir(), "snap")
	if out, err := exec.Command(bin, "snapshot", "-config", p.Config(), "-out", snap).CombinedOutput(); err != nil {
		t.Fatalf("snapshot: %v\n%s", err, out)
	} else {
		t.Logf("%s", out)
	}
	if out, err := exec.Command(bin, "restore", "-from", snap, "-config", p.Config(), "-force").CombinedOutput(); err == nil {
		t.Fatalf("restore onto the running PBX was not refused:\n%s", out)
	}
	busy.Stop()
	p.Stop()
	if out, err := exec.Command(bin, "restore", "-from", snap, "-config", p.Config(), "-force").CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	integrityCheck(t, filepath.Join(p.Dir, "yimen.db"))

	p.Start()
	token = p.Operator()
	var got []crashCDR
	p.GetJSON(token, "/api/v1/cdrs?tenant=demo&limit=100", &got)
	byID := map[string]crashCDR{}
	for _, c := range got {
		byID[c.ID] = c
	}
	for _, c := range cdrs {
		if r, ok := byID[c.ID]; !ok || r != c {
			t.Errorf("CDR %s after the restore: %+v, before: %+v", c.ID, r, c)
		}
	}
	// The calls up during the snapshot were in its journal of calls in
	// progress: the restored PBX closes them as interrupted, as after a crash.
	if len(got) != 8 {
		t.Errorf("%d CDRs after the restore, want the 3 finished and the 5 in progress at the snapshot", len(got))
	}
	for id, want := range audio {
		if b := recordingAudio(t, p, token, id); string(b) != string(want) {
			t.Errorf("recording %s: %d bytes after the restore, %d before", id, len(b), len(want))
		}
	}
	// The phone's registration came back with the database.
	if res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("uac_call.xml"), Remote: p.SIP, LocalIP: "127.0.112.2",
		User: "1001", Password: p.Secret("1001"), Service: "1002", Vars: map[string]string{"talk_ms": "500"}}); res.Check(1) != nil {
		t.Errorf("call to the restored registration: %v", res.Check(1))
	}
}

func recordingAudio(t *testing.T, p *testpbx.Process, token, id string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.HTTP+"/api/v1/recordings/"+id+"/audio", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || len(b) < 1000 {
		t.Fatalf("recording %s: %d, %d bytes", id, res.StatusCode, len(b))
	}
	return b
}
