package testpbx

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/keys"
)

// Process is cmd/pbx running as a child process, so a test can kill -9 it
// and start it again on the same data directory and keys.
type Process struct {
	Dir     string // data directory: yimen.db, recordings/, pbx.log
	SIP     string // SIP/UDP host:port
	HTTP    string // HTTP host:port
	t       testing.TB
	bin     string
	wrapper []string
	cfg     string
	env     []string
	cmd     *exec.Cmd
	logf    *os.File
}

// NewProcess builds cmd/pbx and writes a demo configuration (tenant demo,
// extensions 1001-1010, credentials in creds.txt) whose SIP, HTTP and RTP
// sockets are on ip (an address of its own, Loopback, when ip is empty);
// extra is YAML appended to it (a top-level key in extra replaces the
// demo configuration's line for it). It does not start the
// process.
func NewProcess(t testing.TB, ip, extra string) *Process {
	t.Helper()
	if ip == "" {
		ip = Loopback()
	}
	bin := filepath.Join(t.TempDir(), "pbx")
	build := exec.Command("go", "build", "-o", bin, "github.com/yimen/yimen/cmd/pbx")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pbx: %v\n%s", err, out)
	}
	return NewProcessFromBinary(t, bin, nil, ip, extra)
}

// NewProcessFromBinary is NewProcess for a PBX binary built elsewhere (a
// release build for another architecture), started through wrapper when it
// is not empty (an emulator: qemu-aarch64-static -L /usr/aarch64-linux-gnu).
func NewProcessFromBinary(t testing.TB, bin string, wrapper []string, ip, extra string) *Process {
	t.Helper()
	if ip == "" {
		ip = Loopback()
	}
	dir := t.TempDir()
	p := &Process{t: t, bin: bin, wrapper: wrapper, Dir: dir, cfg: filepath.Join(dir, "pbx.yaml"),
		SIP: net.JoinHostPort(ip, fmt.Sprint(FreeUDPPort(t, ip))), HTTP: net.JoinHostPort(ip, fmt.Sprint(freeTCPPort(t, ip)))}
	base := 30000 + 100*rand.IntN(90)
	yaml := fmt.Sprintf(`data_dir: %[1]s
log: {level: info, format: text}
sip: {udp: "%[2]s", digest_algorithms: [MD5, SHA-256]}
rtp: {bind_ip: %[3]s, port_min: %[4]d, port_max: %[5]d}
http: {addr: "%[6]s"}
guard: {rate_per_sec: 2000, burst: 4000}
admin: {password_iterations: 1000}
demo: {enabled: true, credentials_file: %[1]s/creds.txt}
tenants: [{name: demo, extensions: ["1001-1010"]}]
%[7]s
`, dir, p.SIP, ip, base, base+99, p.HTTP, extra)
	yaml = overrideKeys(yaml, extra)
	if err := os.WriteFile(p.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p.env = append(os.Environ(), "YIMEN_MASTER_KEY="+keys.GenerateMasterKey(), fmt.Sprintf("YIMEN_ADMIN_TOKEN=process-%016x%016x", rand.Uint64(), rand.Uint64()))
	t.Cleanup(func() {
		if p.Running() {
			p.Stop()
		}
		if t.Failed() {
			t.Logf("pbx log tail:\n%s", tail(p.Log(), 40))
		}
	})
	return p
}

// Start runs the PBX and waits until /healthz answers.
func (p *Process) Start() {
	p.t.Helper()
	logf, err := os.OpenFile(filepath.Join(p.Dir, "pbx.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	args := append(append([]string(nil), p.wrapper...), p.bin, "-config", p.cfg)
	p.cmd, p.logf = exec.Command(args[0], args[1:]...), logf
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = p.env, logf, logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	// An emulated binary (qemu) starts several times slower.
	deadline := time.Now().Add(20 * time.Second)
	if len(p.wrapper) > 0 {
		deadline = time.Now().Add(90 * time.Second)
	}
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + p.HTTP + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("pbx did not come up:\n%s", tail(p.Log(), 40))
}

// Config is the path of the process's configuration file.
func (p *Process) Config() string { return p.cfg }

// Running reports whether the process is started and has not exited.
func (p *Process) Running() bool { return p.cmd != nil && p.cmd.ProcessState == nil }

// Kill sends SIGKILL: no drain, no deferred cleanup, nothing flushed.
func (p *Process) Kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	_ = p.cmd.Wait()
	p.logf.Close()
}

// Stop sends SIGTERM and waits for the drain and exit (at most 60 s);
// it returns how long the process took to exit.
func (p *Process) Stop() time.Duration {
	p.t.Helper()
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Errorf("pbx exit: %v", err)
		}
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		p.t.Errorf("pbx did not stop within 60 s of SIGTERM")
	}
	p.logf.Close()
	return time.Since(start)
}

// Log is the process's output so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "pbx.log"))
	return string(b)
}

// Secret is the demo SIP password of ext.
func (p *Process) Secret(ext string) string {
	p.t.Helper()
	if v := p.fileField("creds.txt", func(f []string) bool { return len(f) == 2 && f[0] == ext }); v != "" {
		return v
	}
	p.t.Fatalf("no SIP secret for %s", ext)
	return ""
}

// Operator logs in as the demo tenant's operator (reads calls, CDRs and
// recordings) and returns a bearer token.
func (p *Process) Operator() string {
	p.t.Helper()
	password := p.fileField("demo-admins.txt", func(f []string) bool { return len(f) == 3 && f[0] == "demo" && f[1] == "operator" })
	if password == "" {
		p.t.Fatal("no operator in demo-admins.txt")
	}
	body := fmt.Sprintf(`{"tenant":"demo","name":"operator","password":%q,"bearer":true}`, password)
	res, err := http.Post("http://"+p.HTTP+"/api/v1/login", "application/json", strings.NewReader(body))
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
	return v.Token
}

// GetJSON GETs path with token and decodes a 200 answer into v.
func (p *Process) GetJSON(token, path string, v any) {
	p.t.Helper()
	req, err := http.NewRequest("GET", "http://"+p.HTTP+path, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		p.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
}

// fileField returns the last field of the first line of a file in Dir
// whose fields match.
func (p *Process) fileField(name string, match func([]string) bool) string {
	b, err := os.ReadFile(filepath.Join(p.Dir, name))
	if err != nil {
		p.t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && match(f) {
			return f[len(f)-1]
		}
	}
	return ""
}

// FreeUDPPort picks a free UDP port on ip, for a peer whose address a
// configuration must name before the peer starts.
func FreeUDPPort(t testing.TB, ip string) int {
	t.Helper()
	l, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).Port
}

func freeTCPPort(t testing.TB, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Pid is the running process's id (a benchmark reads its CPU and memory
// from /proc).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// AdminToken is the process's break-glass admin token (YIMEN_ADMIN_TOKEN),
// which reads the platform routes such as /debug/pprof.
func (p *Process) AdminToken() string {
	for _, kv := range p.env {
		if v, ok := strings.CutPrefix(kv, "YIMEN_ADMIN_TOKEN="); ok {
			return v
		}
	}
	return ""
}

// overrideKeys drops the one-line top-level entries of base that extra
// (appended at its end) sets again: YAML refuses a key given twice.
func overrideKeys(base, extra string) string {
	set := map[string]bool{}
	for _, line := range strings.Split(extra, "\n") {
		if k, _, ok := strings.Cut(line, ":"); ok && k != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#") {
			set[k] = true
		}
	}
	lines := strings.Split(base, "\n")
	out := lines[:0]
	extraAt := strings.Index(base, extra)
	pos := 0
	for _, line := range lines {
		k, _, _ := strings.Cut(line, ":")
		if !(set[k] && (extraAt < 0 || pos < extraAt)) {
			out = append(out, line)
		}
		pos += len(line) + 1
	}
	return strings.Join(out, "\n")
}
