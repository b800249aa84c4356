package system_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// baresip is a real softphone (baresip, a libre-based SIP client) driven as
// a phone in system tests: its own config directory, its SIP socket on its
// own loopback address (127.0.90.0/24 belongs to these tests), a sine tone
// as microphone, and what it hears decoded into a WAV file. It is driven over
// the ctrl_tcp module (netstring JSON): commands go in, call and
// registration events come back, so a test waits on events, not on time.
type baresip struct {
	t      testing.TB
	ext    string
	ip     string // SIP listen address
	dir    string // config directory; baresip.log and snd/ inside
	cmd    *exec.Cmd
	exited chan struct{}
	conn   net.Conn
	events chan baresipEvent
	resps  chan baresipEvent
	token  atomic.Int64
}

// baresipEvent is one ctrl_tcp message: an event (Event) or a command's response.
type baresipEvent struct {
	Event    bool   `json:"event"`
	Type     string `json:"type"`
	Class    string `json:"class"`
	Param    string `json:"param"`
	PeerURI  string `json:"peeruri"`
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
}

// baresipModuleDir finds the directory holding the modules a test phone
// loads: a config without module_path looks in the current directory.
func baresipModuleDir() (string, error) {
	baresipModules := []string{"g711", "ausine", "aubridge", "sndfile", "account", "menu", "ctrl_tcp"}
	for _, dir := range []string{"/usr/lib/baresip/modules", "/usr/lib64/baresip/modules", "/usr/local/lib/baresip/modules"} {
		missing := slices.ContainsFunc(baresipModules, func(m string) bool {
			_, err := os.Stat(filepath.Join(dir, m+".so"))
			return err != nil
		})
		if !missing {
			return dir, nil
		}
	}
	return "", fmt.Errorf("baresip modules %v not found", baresipModules)
}

// requireBaresip skips when baresip is not installed, except under CI
// (CI=true), where a missing softphone fails: CI must not pass by skipping.
func requireBaresip(t testing.TB) {
	t.Helper()
	_, err := exec.LookPath("baresip")
	if err == nil {
		if _, err = baresipModuleDir(); err == nil {
			return
		}
	}
	sipp.SkipUnlessCI(t, fmt.Errorf("baresip: not installed (apt-get install baresip-core, or scripts/install-deps.sh): %w", err))
}

// baresipVersion is the installed version, e.g. "1.0.0".
func baresipVersion(t testing.TB) string {
	t.Helper()
	out, _ := exec.Command("baresip", "-h").CombinedOutput() // -h exits non-zero
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "v") && strings.Count(f, ".") == 2 {
			return strings.TrimPrefix(f, "v")
		}
	}
	t.Fatalf("baresip -h: no version in %q", out)
	return ""
}

// startBaresip starts a softphone on 127.0.90.host sending a sine tone of
// toneHz. It has no account yet: register adds it, so that the registration
// events reach the control connection. extra lines go at the end of its
// config (more modules, TLS settings).
func startBaresip(t testing.TB, host int, toneHz int, extra ...string) *baresip {
	t.Helper()
	requireBaresip(t)
	modules, err := baresipModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	ip := fmt.Sprintf("127.0.90.%d", host)
	b := &baresip{t: t, ip: ip, dir: t.TempDir(), exited: make(chan struct{}),
		events: make(chan baresipEvent, 256), resps: make(chan baresipEvent, 16)}
	ctrl := net.JoinHostPort(ip, strconv.Itoa(freePort(t, "tcp", ip)))
	rtp := 20000 + 100*rand.IntN(100) // below the PBX test ranges (30000+) and the ephemeral ports
	// Notes on baresip 1.0:
	//  - ausine only runs at 48 kHz stereo; the encoder resamples to the codec.
	//  - aufile is a source only, so nothing plays to a file: sndfile dumps
	//    the decoded stream (snd/dump-*-dec.wav) and aubridge, a player with
	//    no source bridged to it, takes the samples nowhere.
	//  - RTP sockets are bound to the wildcard address whatever net_interface
	//    says, so towards the PBX (on its own 127/8 address) they send from
	//    127.0.0.1, the loopback route's source. The
	//    SDP must name that address: the relay accepts media only from the
	//    SDP host or the signalling host (strict source), and the phone's
	//    127.0.90.x signalling address is neither. On a real host both are
	//    the phone's one address.
	config := fmt.Sprintf(`poll_method		epoll
sip_listen		%[1]s:%[2]d
net_interface		127.0.0.1
rtp_ports		%[3]d-%[4]d
call_local_timeout	60
audio_source		ausine,%[5]d
ausrc_srate		48000
ausrc_channels		2
audio_player		aubridge,sink%[6]d
audio_alert		aubridge,sink%[6]d
audio_level		no
ringback_disabled	yes
module_path		%[9]s
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
snd_path		%[7]s
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		%[8]s
`, ip, freePort(t, "udp", ip), rtp, rtp+99, toneHz, host, filepath.Join(b.dir, "snd"), ctrl, modules) + strings.Join(extra, "\n")
	if err := os.Mkdir(filepath.Join(b.dir, "snd"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// An existing accounts file, even without accounts, stops baresip writing its template.
	if err := os.WriteFile(filepath.Join(b.dir, "accounts"), []byte("# added over ctrl_tcp (uanew)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(b.dir, "baresip.log"))
	if err != nil {
		t.Fatal(err)
	}
	b.cmd = exec.Command("baresip", "-f", b.dir, "-s") // -s: SIP trace into the log
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start baresip: %v", err)
	}
	go func() { _ = b.cmd.Wait(); logf.Close(); close(b.exited) }()
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(b.dir, "baresip.log"))
			t.Logf("baresip %s (%s) log:\n%s", b.ext, b.ip, tailLines(string(log), 150))
		}
	})
	b.dialCtrl(ctrl)
	return b
}

// dialCtrl connects to ctrl_tcp, which listens once baresip has loaded its modules.
func (b *baresip) dialCtrl(addr string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			b.conn = conn
			break
		}
		select {
		case <-b.exited:
			b.t.Fatalf("baresip exited before its control socket opened: %v", b.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("baresip control socket %s: %v", addr, err)
		}
	}
	go b.read()
}

// read splits the control stream into netstrings ("<len>:<json>,").
func (b *baresip) read() {
	defer close(b.events)
	r := bufio.NewReader(b.conn)
	for {
		n, err := r.ReadString(':')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(n[:len(n)-1])
		if err != nil {
			return
		}
		msg := make([]byte, size+1)
		if _, err := io.ReadFull(r, msg); err != nil {
			return
		}
		var ev baresipEvent
		if err := json.Unmarshal(msg[:size], &ev); err != nil {
			continue
		}
		if ev.Response {
			b.resps <- ev
		} else {
			b.events <- ev
		}
	}
}

// command runs a menu command ("dial", "hangup", "uanew", ...) and returns its output.
func (b *baresip) command(name, params string) string {
	b.t.Helper()
	token := strconv.FormatInt(b.token.Add(1), 10)
	msg, _ := json.Marshal(map[string]string{"command": name, "params": params, "token": token})
	if _, err := fmt.Fprintf(b.conn, "%d:%s,", len(msg), msg); err != nil {
		b.t.Fatalf("baresip %s: %v", name, err)
	}
	for {
		select {
		case r := <-b.resps:
			if r.Token != token {
				continue
			}
			if !r.OK {
				b.t.Fatalf("baresip %s %q: %s", name, params, r.Data)
			}
			return r.Data
		case <-time.After(10 * time.Second):
			b.t.Fatalf("baresip %s: no response", name)
		}
	}
}

// register creates the phone's account for ext at the PBX, answering calls
// automatically, and waits for the outcome: REGISTER_OK or REGISTER_FAIL.
func (b *baresip) register(p *testpbx.PBX, ext string) baresipEvent {
	b.t.Helper()
	b.ext = ext
	b.command("uanew", fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=%s;answermode=auto",
		ext, p.SIPAddr(), p.Secrets[ext]))
	return b.await(20*time.Second, "REGISTER_OK", "REGISTER_FAIL")
}

// dial calls ext at the PBX.
func (b *baresip) dial(p *testpbx.PBX, ext string) {
	b.t.Helper()
	b.command("dial", fmt.Sprintf("sip:%s@%s", ext, p.SIPAddr()))
}

// await returns the first event of one of the types, failing the test on
// CALL_CLOSED when that is not awaited, or when none arrives in time.
func (b *baresip) await(timeout time.Duration, types ...string) baresipEvent {
	b.t.Helper()
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case ev, ok := <-b.events:
			if !ok {
				b.t.Fatalf("baresip %s: control connection closed waiting for %v (saw %v)", b.ext, types, seen)
			}
			seen = append(seen, ev.Type)
			for _, want := range types {
				if ev.Type == want {
					return ev
				}
			}
			if ev.Type == "CALL_CLOSED" {
				b.t.Fatalf("baresip %s: call closed (%s) waiting for %v", b.ext, ev.Param, types)
			}
		case <-deadline:
			b.t.Fatalf("baresip %s: no %v within %v (saw %v)", b.ext, types, timeout, seen)
		}
	}
}

// awaitAll waits until every one of the event types has arrived, in any order.
func (b *baresip) awaitAll(timeout time.Duration, types ...string) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for len(types) > 0 {
		ev := b.await(time.Until(deadline), types...)
		types = slices.DeleteFunc(types, func(s string) bool { return s == ev.Type })
	}
}

// stop ends the process: SIGTERM (it unregisters and closes its files), then
// SIGKILL if it lingers. Idempotent.
func (b *baresip) stop() {
	if b.conn != nil {
		b.conn.Close()
	}
	select {
	case <-b.exited:
		return
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
}

// heard stops the phone, so that sndfile closes its WAV, and returns the
// decoded audio it received: 16-bit mono samples at rate Hz.
func (b *baresip) heard() (samples []int16, rate int) {
	b.t.Helper()
	b.stop()
	files, _ := filepath.Glob(filepath.Join(b.dir, "snd", "dump-*-dec.wav"))
	if len(files) != 1 {
		b.t.Fatalf("baresip %s: decoded-audio dumps %v, want one", b.ext, files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		b.t.Fatal(err)
	}
	samples, rate, err = readWAV(data)
	if err != nil {
		b.t.Fatalf("%s: %v", files[0], err)
	}
	return samples, rate
}

// readWAV reads a 16-bit mono PCM WAV. The data chunk runs to the end of the
// file whatever its header says: a dump cut short has a stale length.
func readWAV(data []byte) ([]int16, int, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	var rate int
	for off := 12; off+8 <= len(data); {
		id, size := string(data[off:off+4]), int(binary.LittleEndian.Uint32(data[off+4:off+8]))
		body := data[off+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			format, channels, bits := binary.LittleEndian.Uint16(body[0:2]), binary.LittleEndian.Uint16(body[2:4]), binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("format %d, %d channels, %d bits; want PCM mono 16-bit", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			samples := make([]int16, len(body)/2)
			for i := range samples {
				samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return samples, rate, nil
		}
		off += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

func freePort(t testing.TB, network, ip string) int {
	t.Helper()
	if network == "udp" {
		l, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
