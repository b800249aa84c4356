package recorder_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/recorder"
)

// pbxProcess is cmd/pbx running as a child process, so it can be killed.
type pbxProcess struct {
	t    *testing.T
	bin  string
	dir  string
	cfg  string
	env  []string
	cmd  *exec.Cmd
	http string
	sip  string
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.LocalAddr().(*net.UDPAddr).Port
	tl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return freePort(t)
	}
	tl.Close()
	return port
}

func newPBXProcess(t *testing.T) *pbxProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pbx")
	build := exec.Command("go", "build", "-o", bin, "github.com/yimen/yimen/cmd/pbx")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pbx: %v\n%s", err, out)
	}
	dir := t.TempDir()
	p := &pbxProcess{t: t, bin: bin, dir: dir, cfg: filepath.Join(dir, "pbx.yaml"),
		sip: fmt.Sprintf("127.0.0.1:%d", freePort(t)), http: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	base := 30000 + 100*rand.IntN(90)
	yaml := fmt.Sprintf(`data_dir: %[1]s
log: {level: info, format: text}
sip: {udp: "%[2]s", tcp: "%[2]s", digest_algorithms: [MD5, SHA-256]}
rtp: {bind_ip: 127.0.0.1, port_min: %[3]d, port_max: %[4]d}
http: {addr: "%[5]s"}
guard: {rate_per_sec: 2000, burst: 4000}
calls: {drain_timeout: 2s}
demo: {enabled: true, credentials_file: %[1]s/creds.txt}
tenants: [{name: demo, extensions: ["1001-1010"]}]
recording: {policy: always, format: alaw}
`, dir, p.sip, base, base+99, p.http)
	if err := os.WriteFile(p.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p.env = append(os.Environ(), "YIMEN_MASTER_KEY="+keys.GenerateMasterKey(), "YIMEN_ADMIN_TOKEN=crash-test-token")
	return p
}

func (p *pbxProcess) start() {
	p.t.Helper()
	logf, err := os.OpenFile(filepath.Join(p.dir, "pbx.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(p.bin, "-config", p.cfg)
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = p.env, logf, logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	cmd := p.cmd
	p.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
		logf.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + p.http + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(p.dir, "pbx.log"))
	p.t.Fatalf("pbx did not come up:\n%s", log)
}

// kill sends SIGKILL: no drain, no deferred cleanup, nothing flushed.
func (p *pbxProcess) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd.Wait()
}

func (p *pbxProcess) secret(ext string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "creds.txt"))
	if err != nil {
		p.t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if e, s, ok := strings.Cut(strings.TrimSpace(line), " "); ok && e == ext {
			return strings.TrimSpace(s)
		}
	}
	p.t.Fatalf("no secret for %s", ext)
	return ""
}

// api logs in as the demo's operator (who may read recordings; the
// break-glass token may not) and returns a client with its session token.
func (p *pbxProcess) api() api {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "demo-admins.txt"))
	if err != nil {
		p.t.Fatal(err)
	}
	var password string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "demo" && f[1] == "operator" {
			password = f[2]
		}
	}
	if password == "" {
		p.t.Fatalf("no operator in demo-admins.txt")
	}
	body := fmt.Sprintf(`{"tenant":"demo","name":"operator","password":%q,"bearer":true}`, password)
	res, err := http.Post("http://"+p.http+"/api/v1/login", "application/json", strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var v struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode != 200 || v.Token == "" {
		p.t.Fatalf("operator login: %d %v", res.StatusCode, err)
	}
	return api{t: p.t, base: "http://" + p.http, token: v.Token}
}

func TestKill9MidRecordingLeavesAReadableFile(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox not installed")
	}
	p := newPBXProcess(t)
	p.start()
	callerPcap, calleePcap := writeTonePcap(t, callerHz, 6*time.Second), writeTonePcap(t, calleeHz, 6*time.Second)
	// Both ends hang up 5 s in, after the kill: the restarted PBX answers
	// their BYEs with 481 and they finish without being stopped.
	startCallee(t, p.sip, p.secret("1002"), "1002", "127.0.43.2", calleePcap, 5000)
	caller, err := sipp.Start(t.Context(), sipp.Options{Scenario: scenarioWithPcap(t, "uac_call.xml", callerPcap), Remote: p.sip,
		LocalIP: "127.0.43.1", User: "1001", Password: p.secret("1001"), Service: "1002", Calls: 1, Lenient: true,
		Vars: map[string]string{"talk_ms": "5000"}, Dir: t.TempDir(), Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Stop()

	// The recording starts at the answer.
	answered := p.api().waitRecording("recording").Start
	time.Sleep(time.Until(answered.Add(3 * time.Second)))
	p.kill()
	killedAfter := time.Since(answered).Seconds()

	p.start() // the restart recovers the file
	rec := p.api().waitRecording("recovered")
	got := float64(rec.DurationMS) / 1000
	// What was still in memory is lost: the jitter delay and at most one
	// flush interval (0.5 s), plus scheduling on a loaded machine.
	if got > killedAfter || got < killedAfter-1.2 {
		t.Errorf("recovered %.3f s of a call killed %.3f s after answer", got, killedAfter)
	}
	var path string
	filepath.WalkDir(filepath.Join(p.dir, "recordings"), func(f string, d fs.DirEntry, err error) error {
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
	if _, dl := p.api().audio(rec); dl.Seconds() != audio.Seconds() {
		t.Errorf("API serves %.3f s, the file holds %.3f s", dl.Seconds(), audio.Seconds())
	}
}
