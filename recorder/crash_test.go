package recorder_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/recorder"
	"github.com/yimen/yimen/tests/testpbx"
)

// operatorAPI is the admin API as the demo's operator, who may read
// recordings (the break-glass token may not).
func operatorAPI(t *testing.T, p *testpbx.Process) api {
	return api{t: t, base: "http://" + p.HTTP, token: p.Operator()}
}

func TestKill9MidRecordingLeavesAReadableFile(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	sipp.RequireTool(t, "sox", "apt-get install sox")
	p := testpbx.NewProcess(t, "", "calls: {drain_timeout: 2s}\nrecording: {policy: always, format: alaw}")
	p.Start()
	callerPcap, calleePcap := writeTonePcap(t, callerHz, 6*time.Second), writeTonePcap(t, calleeHz, 6*time.Second)
	// Both ends hang up 5 s in, after the kill: the restarted PBX answers
	// their BYEs with 481 and they finish without being stopped.
	startCallee(t, p.SIP, p.Secret("1002"), "1002", "127.0.43.2", calleePcap, 5000)
	caller, err := sipp.Start(t.Context(), sipp.Options{Scenario: scenarioWithPcap(t, "uac_call.xml", callerPcap), Remote: p.SIP,
		LocalIP: "127.0.43.1", User: "1001", Password: p.Secret("1001"), Service: "1002", Calls: 1,
		Vars: map[string]string{"talk_ms": "5000"}, Dir: t.TempDir(), Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Stop()

	// The recording starts at the answer.
	answered := operatorAPI(t, p).waitRecording("recording").Start
	time.Sleep(time.Until(answered.Add(3 * time.Second)))
	p.Kill()
	killedAfter := time.Since(answered).Seconds()

	p.Start() // the restart recovers the file
	rec := operatorAPI(t, p).waitRecording("recovered")
	got := float64(rec.DurationMS) / 1000
	// What was still in memory is lost: the jitter delay and at most one
	// flush interval (0.5 s), plus scheduling on a loaded machine.
	if got > killedAfter || got < killedAfter-1.2 {
		t.Errorf("recovered %.3f s of a call killed %.3f s after answer", got, killedAfter)
	}
	var path string
	filepath.WalkDir(filepath.Join(p.Dir, "recordings"), func(f string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(f, rec.ID+".wav") {
			path = f
		}
		return nil
	})
	if path == "" {
		t.Fatal("recovered file not found on disk")
	}
	out, err := exec.Command("sox", "--i", "-D", path).CombinedOutput()
	if err != nil {
		t.Fatalf("sox --i: %v\n%s", err, out)
	}
	if secs, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); secs != float64(rec.DurationMS)/1000 && int64(secs*1000) != rec.DurationMS {
		t.Errorf("sox reads %s s, the index says %d ms", strings.TrimSpace(string(out)), rec.DurationMS)
	}
	// sox can decode the whole file (a header promising more would fail here).
	if out, err := exec.Command("sox", path, "-n", "stat").CombinedOutput(); err != nil || strings.Contains(string(out), "WARN") {
		t.Errorf("sox stat: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	audio, err := recorder.DecodeTestWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	for from := 0.3; from+0.5 <= audio.Seconds()-0.05; from += 0.5 {
		checkTone(t, audio, 0, from, from+0.5, callerHz, calleeHz)
		checkTone(t, audio, 1, from, from+0.5, calleeHz, callerHz)
	}
	if _, dl := operatorAPI(t, p).audio(rec); dl.Seconds() != audio.Seconds() {
		t.Errorf("API serves %.3f s, the file holds %.3f s", dl.Seconds(), audio.Seconds())
	}
}
