package system_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cticlient "github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// BenchmarkBrowserCalls holds N concurrent calls through a PBX running as
// its own process and reports that process's CPU and memory per call:
// "rtp" is a plain relayed G.711 call (SIPp caller → SIPp callee 1999, both
// streaming 50 pkt/s), "webrtc" a browser agent's call (a pion peer per
// agent: ICE-lite, DTLS-SRTP; call.dial to 1999, the browser and 1999 each
// streaming 50 pkt/s), so the difference is what DTLS-SRTP and the gateway
// cost. N is YIMEN_BENCH_CALLS (default 50); docs/BENCHMARKS.md has the runs:
//
//	YIMEN_BENCH_CALLS=200 go test ./tests/system -run '^$' -bench BrowserCalls -benchtime 1x -timeout 30m
//
// The load clients (SIPp, the pion peers) run in the test process, apart
// from the PBX's figures. YIMEN_BENCH_PPROF=dir saves a 20 s CPU profile of
// the PBX during the window and its heap at the end of it.
func BenchmarkBrowserCalls(b *testing.B) {
	sipp.Require(b)
	n := 50
	if v, err := strconv.Atoi(os.Getenv("YIMEN_BENCH_CALLS")); err == nil && v > 0 {
		n = v
	}
	for _, mode := range []string{"rtp", "webrtc"} {
		b.Run(fmt.Sprintf("%s/calls=%d", mode, n), func(b *testing.B) {
			for range b.N {
				benchCalls(b, mode, n)
			}
		})
	}
}

const (
	benchSettle = 10 * time.Second
	benchWindow = 30 * time.Second
)

func benchCalls(b *testing.B, mode string, n int) {
	ip := testpbx.Loopback()
	var agents strings.Builder
	for i := range n {
		fmt.Fprintf(&agents, "{id: a%d, extension: \"%d\"},", 3000+i, 3000+i)
	}
	p := testpbx.NewProcess(b, ip, fmt.Sprintf(`rtp: {bind_ip: %s, port_min: 40000, port_max: 49999}
calls: {max_per_extension: 100000, drain_timeout: 2s}
tenants: [{name: demo, extensions: ["1001-1010", "1900-1999", "3000-%d"], auto_login: true, agents: [%s]}]
`, ip, 3000+n-1, agents.String()))
	p.Start()
	defer p.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	uasIP, uacIP := testpbx.Loopback(), testpbx.Loopback()
	ensureStreamFile(b)
	hold := benchSettle + benchWindow + 30*time.Second + time.Duration(n)*20*time.Millisecond
	uas, err := sipp.Start(ctx, sipp.Options{Scenario: sipp.Scenario("uas_rtpstream.xml"), LocalIP: uasIP, Dir: b.TempDir(),
		Timeout: hold + time.Minute, Extra: []string{"-default_behaviors", "all,-abortunexp"}})
	if err != nil {
		b.Fatal(err)
	}
	defer uas.Stop()
	reg, err := sipp.Run(ctx, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIP, LocalIP: uasIP, User: "1999",
		Password: p.Secret("1999"), Service: "1999", Dir: b.TempDir(),
		Vars: map[string]string{"contact_port": fmt.Sprint(uas.Port()), "expires": "3600"}})
	if err != nil || reg.Check(1) != nil {
		b.Fatalf("register 1999: %v %v", err, reg.Check(1))
	}
	idleRSS := procRSS(b, p.Pid())
	idleHeap := scrape(b, p.HTTP)["go_memstats_heap_inuse_bytes"]

	var peers []*testpbx.BrowserPeer
	switch mode {
	case "rtp":
		csv := filepath.Join(b.TempDir(), "users.csv")
		var rows strings.Builder
		rows.WriteString("SEQUENTIAL\n")
		for ext := 1900; ext < 1999; ext++ {
			fmt.Fprintf(&rows, "%d;%s\n", ext, p.Secret(strconv.Itoa(ext)))
		}
		if err := os.WriteFile(csv, []byte(rows.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		uac, err := sipp.Start(ctx, sipp.Options{Scenario: sipp.Scenario("uac_rtpstream.xml"), Remote: p.SIP, LocalIP: uacIP,
			Service: "1999", Calls: n, Limit: n, Rate: 50, Dir: b.TempDir(), Timeout: hold + time.Minute,
			Extra: []string{"-inf", csv, "-au", "[field0]", "-ap", "[field1]", "-auth_uri", "1999@" + p.SIP,
				"-d", strconv.Itoa(int(hold / time.Millisecond)), "-default_behaviors", "all,-abortunexp"}})
		if err != nil {
			b.Fatal(err)
		}
		defer uac.Stop()
		time.Sleep(time.Duration(n) * 20 * time.Millisecond)
	case "webrtc":
		tokens := ctiAgentTokens(b, p.Dir)
		for i := range n {
			agent := fmt.Sprintf("a%d", 3000+i)
			cl, err := cticlient.Dial(ctx, "ws://"+p.HTTP+"/cti", cticlient.Options{Token: tokens[agent]})
			if err != nil {
				b.Fatalf("cti %s: %v", agent, err)
			}
			defer cl.Close()
			peer, err := testpbx.NewBrowserPeer(false)
			if err != nil {
				b.Fatal(err)
			}
			defer peer.Close()
			offer, err := peer.Offer()
			if err != nil {
				b.Fatal(err)
			}
			octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
			answer, err := cl.WebRTCOpen(octx, "", offer)
			if err == nil {
				err = peer.Accept(octx, answer)
			}
			if err == nil {
				_, err = cl.Dial(octx, "", "1999", "")
			}
			ocancel()
			if err != nil {
				b.Fatalf("agent %s: %v", agent, err)
			}
			peer.SendTone(440)
			peers = append(peers, peer)
		}
	}
	time.Sleep(benchSettle)

	m0, cpu0, rx0, tx0 := scrape(b, p.HTTP), procCPU(b, p.Pid()), peersCount(peers, (*testpbx.BrowserPeer).Received), peersCount(peers, (*testpbx.BrowserPeer).Sent)
	if dir := os.Getenv("YIMEN_BENCH_PPROF"); dir != "" {
		go saveProfile(b, p, "profile?seconds=20", filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", mode, n)))
	}
	start := time.Now()
	time.Sleep(benchWindow)
	elapsed := time.Since(start).Seconds()
	m1, cpu1, rx1, tx1 := scrape(b, p.HTTP), procCPU(b, p.Pid()), peersCount(peers, (*testpbx.BrowserPeer).Received), peersCount(peers, (*testpbx.BrowserPeer).Sent)
	rss := procRSS(b, p.Pid())
	if dir := os.Getenv("YIMEN_BENCH_PPROF"); dir != "" {
		saveProfile(b, p, "heap", filepath.Join(dir, fmt.Sprintf("%s-%d.heap", mode, n)))
	}

	cpuPct := 100 * (cpu1 - cpu0) / elapsed
	relayed := (m1["yimen_rtp_packets_relayed_total"] - m0["yimen_rtp_packets_relayed_total"]) / elapsed
	b.ReportMetric(m1["yimen_rtp_ports_in_use"]/4, "calls_up")
	b.ReportMetric(cpuPct, "cpu_%")
	b.ReportMetric(cpuPct/float64(n), "cpu_%/call")
	b.ReportMetric(float64(rss-idleRSS)/1024/float64(n), "rss_KB/call")
	b.ReportMetric((m1["go_memstats_heap_inuse_bytes"]-idleHeap)/1024/float64(n), "heap_KB/call")
	b.ReportMetric(m1["go_goroutines"], "goroutines")
	b.ReportMetric(relayed, "relayed_pkt/s")
	if mode == "webrtc" {
		b.ReportMetric(float64(rx1-rx0)/elapsed/float64(n), "browser_rx_pkt/s/call")
		b.ReportMetric(float64(tx1-tx0)/elapsed/float64(n), "browser_tx_pkt/s/call")
	}
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("%s N=%d: cpu %.1f%% (%.3f%%/call), RSS %d→%d MB, relayed %.0f pkt/s (expected %d); load average %s", mode, n, cpuPct, cpuPct/float64(n),
		idleRSS>>20, rss>>20, relayed, n*100, strings.Fields(string(load))[0])
}

func peersCount(peers []*testpbx.BrowserPeer, count func(*testpbx.BrowserPeer) uint64) uint64 {
	var s uint64
	for _, p := range peers {
		s += count(p)
	}
	return s
}

// ensureStreamFile is the A-law the rtp_stream scenarios loop (bench/lib.sh
// makes it for bench/ runs; a tone will do here).
func ensureStreamFile(b *testing.B) {
	const path = "/tmp/kamanchor/g711a.alaw"
	if _, err := os.Stat(path); err == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 8000*10)
	for i := range buf {
		buf[i] = byte(0xd5 ^ (i & 0x0f)) // a quiet A-law buzz
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.Fatal(err)
	}
}

func ctiAgentTokens(b *testing.B, dir string) map[string]string {
	f, err := os.Open(filepath.Join(dir, "cti-tokens.txt"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) == 4 && fs[1] == "agent" {
			out[fs[3]] = fs[0]
		}
	}
	return out
}

// scrape reads the unlabelled samples of the PBX's /metrics.
func scrape(b *testing.B, addr string) map[string]float64 {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	return out
}

// procCPU is the process's user+system CPU seconds.
func procCPU(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// procRSS is the process's resident set in bytes.
func procRSS(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// saveProfile saves one of the PBX's profiles (what, under /debug/pprof/:
// a 20 s CPU profile, the heap) to path; its break-glass token reads them.
func saveProfile(b *testing.B, p *testpbx.Process, what, path string) {
	req, _ := http.NewRequest("GET", "http://"+p.HTTP+"/debug/pprof/"+what, nil)
	req.Header.Set("Authorization", "Bearer "+p.AdminToken())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer f.Close()
	_, _ = bufio.NewReader(res.Body).WriteTo(f)
}
