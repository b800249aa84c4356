package sipp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Pure-Go tests: parsers, argument building and rendering, no SIPp.

const statsCSV = "StartTime;CurrentCall;TotalCallCreated;SuccessfulCall(C);FailedCall(C);Retransmissions(C);\n" +
	"t0;3;3;0;0;0;\n" +
	"t1;0;10;9;1;4;\n"

func TestParseStatsTakesLastRow(t *testing.T) {
	got := parseStats([]byte(statsCSV))
	want := map[string]string{"StartTime": "t1", "CurrentCall": "0", "TotalCallCreated": "10",
		"SuccessfulCall(C)": "9", "FailedCall(C)": "1", "Retransmissions(C)": "4"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if m := parseStats([]byte("A;B;\n")); len(m) != 0 {
		t.Fatalf("header only: %v, want empty", m)
	}
	if m := parseStats([]byte("A;B;C\r\nx;y\r\n")); len(m) != 2 || m["B"] != "y" {
		t.Fatalf("short row with CRLF: %v", m)
	}
}

func TestResultFillAndCheck(t *testing.T) {
	dir := t.TempDir()
	f := newOutFiles(dir)
	os.WriteFile(f.stats, []byte(statsCSV), 0o644)
	os.WriteFile(f.errors, []byte("line1\nUnexpected 486 while expecting 200\n"), 0o644)
	r := &Result{Dir: dir, ExitCode: ExitFailed}
	r.fill(f, false)
	if r.Successful != 9 || r.Failed != 1 || r.Calls != 10 || r.Retransmissions != 4 {
		t.Fatalf("fill: %+v", r)
	}
	err := r.Check(10)
	if err == nil {
		t.Fatal("Check passed a run with a failed call")
	}
	for _, want := range []string{"exit code 1", "9 of 10", "1 failed", "Unexpected 486"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error %q lacks %q", err, want)
		}
	}
	ok := &Result{Successful: 2}
	if err := ok.Check(2); err != nil {
		t.Fatal(err)
	}
	if err := ok.Check(3); err == nil {
		t.Fatal("Check accepted 2 successful calls for 3")
	}
	late := &Result{Successful: 2, TimedOut: true}
	if err := late.Check(2); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Check on a timed-out run: %v", err)
	}
}

func TestParseVarSpecsReadsHeaderOnly(t *testing.T) {
	xml := []byte(`<!--
  [$expires]       default 3600          Expires header
    [$contact_port]  default [local_port]  port
  [$who]  required   the user
  [$expires]  default 1  (a second declaration is ignored)
  [bad name] default 1
-->
<scenario name="x">
  [$late] default 9
  Expires: [$expires]
</scenario>`)
	got := parseVarSpecs(xml)
	want := []varSpec{{"expires", "3600", false}, {"contact_port", "[local_port]", false}, {"who", "", true}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func testSettings(t *testing.T, o Options) settings {
	t.Helper()
	if o.Scenario == "" {
		o.Scenario = Scenario("uac_call.xml")
	}
	s, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestResolveVarsFillsDefaults(t *testing.T) {
	s := testSettings(t, Options{Remote: "127.0.0.9:5070", LocalIP: "127.0.0.8", LocalPort: 5072, MediaPort: 6000,
		User: "alice", Vars: map[string]string{"talk_ms": "100", "zeta": "z", "alpha": "a"}})
	specs := []varSpec{{"talk_ms", "8000", false}, {"from_user", "[user]", false}, {"domain", "[remote_ip]", false},
		{"contact_port", "[local_port]", false}, {"rtp", "[media_ip]:[media_port]", false}}
	got, err := s.resolveVars(specs)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"talk_ms", "100"}, {"from_user", "alice"}, {"domain", "127.0.0.9"},
		{"contact_port", "5072"}, {"rtp", "127.0.0.8:6000"}, {"alpha", "a"}, {"zeta", "z"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if _, err := s.resolveVars([]varSpec{{name: "who", required: true}}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("missing required variable: %v, want ErrInvalid", err)
	}
}

func TestArgs(t *testing.T) {
	s := testSettings(t, Options{Remote: "127.0.0.9", LocalPort: 5072, MediaPort: 6000, User: "alice", Password: "pw",
		Rate: 2.5, RatePeriodMS: 500, Limit: 7, Timeout: 1500 * time.Millisecond, RTPEcho: true, Lenient: true,
		Extra: []string{"-aa"}})
	a := s.args([][2]string{{"talk_ms", "1"}}, newOutFiles("/out"))
	line := " " + strings.Join(a, " ") + " "
	for _, want := range []string{
		" 127.0.0.9:5060 ", " -i 127.0.0.1 ", " -p 5072 ", " -mp 6000 ", " -t u1 ", " -s alice ", " -au alice ",
		" -ap pw ", " -m 1 ", " -r 2.5 ", " -rp 500ms ", " -l 7 ", " -timeout 2s ", " -rtp_echo ",
		" -default_behaviors all,-abortunexp ", " -stf /out/stats.csv ", " -error_file /out/errors.log ",
		" -set talk_ms 1 ", " -nostdin ",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("args lack %q:%s", want, line)
		}
	}
	if a[len(a)-1] != "-aa" {
		t.Errorf("Extra not last: %v", a)
	}
	if slices.Index(a, "-sf") > slices.Index(a, "-set") {
		t.Errorf("-set before -sf: SIPp would reject the variable: %v", a)
	}
	uas := testSettings(t, Options{})
	if ua := uas.args(nil, newOutFiles("/out")); slices.Contains(ua, "-m") || slices.Contains(ua, "-trace_msg") {
		t.Errorf("a UAS without Calls or TraceMsg got %v", ua)
	}
}

func TestWithDefaultsRejects(t *testing.T) {
	for name, o := range map[string]Options{
		"no scenario":      {},
		"missing file":     {Scenario: "/nonexistent.xml"},
		"ipv6":             {Scenario: Scenario("uas_busy.xml"), LocalIP: "::1"},
		"bad transport":    {Scenario: Scenario("uas_busy.xml"), Transport: "s1"},
		"negative calls":   {Scenario: Scenario("uas_busy.xml"), Calls: -1},
		"not an ip at all": {Scenario: Scenario("uas_busy.xml"), LocalIP: "localhost"},
	} {
		if _, err := o.withDefaults(); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// Each shipped scenario declares in <Global> exactly the variables its
// header documents, or -set would fail (undeclared) or SIPp would reject
// the scenario (declared but unused).
func TestShippedScenariosDeclareDocumentedVariables(t *testing.T) {
	files, err := filepath.Glob(Scenario("*.xml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	rendered, err := Render(t.TempDir(), "uac_expect.tmpl", Expect{Code: 486})
	if err != nil {
		t.Fatal(err)
	}
	global := regexp.MustCompile(`<Global variables="([^"]*)"`)
	for _, f := range append(files, rendered) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var documented, declared []string
		for _, v := range parseVarSpecs(b) {
			documented = append(documented, v.name)
			if !bytes.Contains(b, []byte("[$"+v.name+"]")) && !bytes.Contains(b, []byte(`variable="`+v.name+`"`)) {
				t.Errorf("%s: variable %s is documented but never used", filepath.Base(f), v.name)
			}
		}
		if m := global.FindSubmatch(b); m != nil {
			declared = strings.Split(string(m[1]), ",")
		}
		slices.Sort(documented)
		slices.Sort(declared)
		if !slices.Equal(documented, declared) {
			t.Errorf("%s: header documents %v, <Global> declares %v", filepath.Base(f), documented, declared)
		}
	}
}

func TestRenderExpect(t *testing.T) {
	dir := t.TempDir()
	path, err := Render(dir, "uac_expect.tmpl", Expect{Code: 488, Media: "m=audio [media_port] RTP/AVP 18\na=rtpmap:18 G729/8000"})
	if err != nil {
		t.Fatal(err)
	}
	// Only the scenario body counts: the header comment names everything.
	body := func(path string) string {
		b, _ := os.ReadFile(path)
		_, s, _ := strings.Cut(string(b), "<scenario")
		return s
	}
	s := body(path)
	for _, want := range []string{`<recv response="488" rtd="true" next="final"/>`, "a=rtpmap:18 G729/8000", "[authentication]", `<label id="auth"/>`} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered 488 scenario lacks %q", want)
		}
	}
	if strings.Contains(s, "PCMA/8000") {
		t.Error("a G.729-only offer still offers PCMA")
	}

	path, err = Render(dir, "uac_expect.tmpl", Expect{Code: 407})
	if err != nil {
		t.Fatal(err)
	}
	if s := body(path); strings.Contains(s, "[authentication]") || !strings.Contains(s, "PCMA/8000") {
		t.Error("expecting 407 must send no credentials and offer the default PCMA")
	}

	for _, code := range []int{0, 200, 700} {
		if _, err := Render(dir, "uac_expect.tmpl", Expect{Code: code}); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("code %d: %v, want ErrInvalid", code, err)
		}
	}
	if _, err := Render(dir, "nonesuch.tmpl", nil); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing template: %v, want ErrNotFound", err)
	}
}

func TestScenarioPathIsAbsolute(t *testing.T) {
	p := Scenario("uac_call.xml")
	if !filepath.IsAbs(p) {
		t.Fatalf("%s is not absolute", p)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
}

// fakeTB records what Require did instead of ending the test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Skip(...any)       { f.skipped = true }
func (f *fakeTB) Fatal(args ...any) { f.failed = true }

func TestRequireFailsOnlyUnderCI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "true")
	ci := &fakeTB{TB: t}
	Require(ci)
	if !ci.failed || ci.skipped {
		t.Errorf("CI=true without sipp: failed=%v skipped=%v, want a failure", ci.failed, ci.skipped)
	}
	t.Setenv("CI", "")
	local := &fakeTB{TB: t}
	Require(local)
	if !local.skipped || local.failed {
		t.Errorf("no CI without sipp: failed=%v skipped=%v, want a skip", local.failed, local.skipped)
	}
	if err := Available(); !errors.Is(err, errs.ErrUnavailable) {
		t.Errorf("Available: %v, want ErrUnavailable", err)
	}
}

func TestParseProcNet(t *testing.T) {
	table := []byte(`   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 ffff 0
  2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 2 ffff 0
  3: garbage
  4: 0300007F:ZZZZ 00000000:0000 07
`)
	got := parseProcNet(table)
	if len(got) != 2 {
		t.Fatalf("got %d rows, want 2: %+v", len(got), got)
	}
	if !got[0].ip.Equal(net.IPv4(127, 0, 0, 1)) || got[0].port != 5060 || got[0].state != 7 {
		t.Errorf("row 1: %+v", got[0])
	}
	if !got[1].ip.Equal(net.IPv4zero) || got[1].port != 8080 || got[1].state != tcpListen {
		t.Errorf("row 2: %+v", got[1])
	}
}

func TestSocketBoundSeesLiveSockets(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.22.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	if ok, err := socketBound("127.0.22.1", port, false); err != nil || !ok {
		t.Fatalf("bound socket not seen: %v %v", ok, err)
	}
	if ok, _ := socketBound("127.0.22.2", port, false); ok {
		t.Fatal("socket seen on another address")
	}
	conn.Close()
	if ok, _ := socketBound("127.0.22.1", port, false); ok {
		t.Fatal("closed socket still seen")
	}
	l, err := net.Listen("tcp4", "127.0.22.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if ok, _ := socketBound("127.0.22.1", l.Addr().(*net.TCPAddr).Port, true); !ok {
		t.Fatal("listening TCP socket not seen")
	}
}

func TestPickMediaPortLeavesFourFree(t *testing.T) {
	p, err := pickMediaPort("127.0.22.3")
	if err != nil {
		t.Fatal(err)
	}
	if p%2 != 0 || p < portLow || p+3 >= portHigh {
		t.Fatalf("media port %d: want even, in [%d, %d)", p, portLow, portHigh)
	}
	for i := range 4 {
		if !udpFree("127.0.22.3", p+i) {
			t.Errorf("port %d not free", p+i)
		}
	}
}

// pcapng builds a little-endian pcapng file with n enhanced packet blocks.
func pcapng(order binary.ByteOrder, n int) []byte {
	var b bytes.Buffer
	block := func(typ uint32, body []byte) {
		total := uint32(12 + len(body))
		binary.Write(&b, order, typ)
		binary.Write(&b, order, total)
		b.Write(body)
		binary.Write(&b, order, total)
	}
	shb := make([]byte, 16)
	order.PutUint32(shb, 0x1A2B3C4D)
	order.PutUint16(shb[4:], 1)
	for i := range 8 {
		shb[8+i] = 0xFF // section length: unknown
	}
	block(0x0A0D0D0A, shb)
	block(1, make([]byte, 8)) // interface description
	for range n {
		epb := make([]byte, 20+60) // header fields + 60 bytes of packet
		order.PutUint32(epb[12:], 60)
		order.PutUint32(epb[16:], 60)
		block(6, epb)
	}
	return b.Bytes()
}

func pcapClassic(order binary.ByteOrder, n int) []byte {
	var b bytes.Buffer
	binary.Write(&b, order, uint32(0xA1B2C3D4))
	b.Write(make([]byte, 20))
	for range n {
		rec := make([]byte, 16)
		order.PutUint32(rec[8:], 42)
		order.PutUint32(rec[12:], 42)
		b.Write(rec)
		b.Write(make([]byte, 42))
	}
	return b.Bytes()
}

func TestCountPackets(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		want int
		ok   bool
	}{
		"pcapng le":        {pcapng(binary.LittleEndian, 3), 3, true},
		"pcapng be":        {pcapng(binary.BigEndian, 2), 2, true},
		"pcapng empty":     {pcapng(binary.LittleEndian, 0), 0, true},
		"pcapng truncated": {pcapng(binary.LittleEndian, 3)[:len(pcapng(binary.LittleEndian, 3))-10], 2, false},
		"pcap le":          {pcapClassic(binary.LittleEndian, 4), 4, true},
		"pcap be":          {pcapClassic(binary.BigEndian, 1), 1, true},
		"pcap truncated":   {pcapClassic(binary.LittleEndian, 2)[:24+16+42+8], 1, false},
		"not a capture":    {[]byte("hello, world"), 0, false},
		"empty":            {nil, 0, false},
	} {
		n, err := countPackets(bytes.NewReader(tc.data))
		if n != tc.want || (err == nil) != tc.ok {
			t.Errorf("%s: %d, %v; want %d, ok=%v", name, n, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: error %v is not ErrInvalid", name, err)
		}
	}
}

func TestTimeoutArgRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1s", 1500 * time.Millisecond: "2s", time.Millisecond: "1s", 30 * time.Second: "30s"} {
		if got := timeoutArg(d); got != want {
			t.Errorf("timeoutArg(%s) = %s, want %s", d, got, want)
		}
	}
}

func FuzzParseStats(f *testing.F) {
	f.Add([]byte(statsCSV))
	f.Add([]byte("A;B\n1;2;3;4\n"))
	f.Fuzz(func(t *testing.T, csv []byte) {
		m := parseStats(csv)
		header, _, _ := strings.Cut(string(csv), "\n")
		for k := range m {
			if k == "" || !strings.Contains(header, k) {
				t.Fatalf("column %q not in header %q", k, header)
			}
		}
	})
}

func FuzzParseVarSpecs(f *testing.F) {
	b, _ := os.ReadFile(Scenario("uac_call.xml"))
	f.Add(b)
	f.Add([]byte("[$a] default 1\n[$b] required\n<scenario>[$c] default 2"))
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	f.Fuzz(func(t *testing.T, xml []byte) {
		seen := map[string]bool{}
		for _, v := range parseVarSpecs(xml) {
			if !ident.MatchString(v.name) || seen[v.name] {
				t.Fatalf("bad or repeated name %q", v.name)
			}
			seen[v.name] = true
			if v.required == (v.def != "") {
				t.Fatalf("%s: required=%v with default %q", v.name, v.required, v.def)
			}
		}
	})
}

func FuzzParseProcNet(f *testing.F) {
	f.Add([]byte("sl local\n  1: 0100007F:13C4 00000000:0000 07 x\n"))
	f.Add([]byte("h\n 0: 00000000:FFFF 0:0 0A\n"))
	f.Fuzz(func(t *testing.T, table []byte) {
		for _, s := range parseProcNet(table) {
			if s.port < 0 || s.port > 65535 || len(s.ip) != 4 || s.state < 0 || s.state > 255 {
				t.Fatalf("impossible row %+v", s)
			}
		}
	})
}

func FuzzCountPackets(f *testing.F) {
	f.Add(pcapng(binary.LittleEndian, 2))
	f.Add(pcapng(binary.BigEndian, 1))
	f.Add(pcapClassic(binary.LittleEndian, 2))
	f.Add([]byte{0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := countPackets(bytes.NewReader(data))
		// Every counted packet took at least a 12-byte block or 16-byte record.
		if n < 0 || n > len(data)/12 {
			t.Fatalf("%d packets from %d bytes", n, len(data))
		}
		if err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("error %v is not ErrInvalid", err)
		}
	})
}

func BenchmarkParseStats(b *testing.B) {
	// An hour of -fd 1 rows, the size a long load run leaves behind.
	var csv bytes.Buffer
	csv.WriteString(strings.Repeat("Column;", 200) + "\n")
	for i := range 3600 {
		csv.WriteString(strings.Repeat(strconv.Itoa(i)+";", 200) + "\n")
	}
	data := csv.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if len(parseStats(data)) == 0 {
			b.Fatal("no columns")
		}
	}
}

func BenchmarkCountPackets(b *testing.B) {
	// 1000 calls x 50 pps x 10 s of RTP.
	data := pcapng(binary.LittleEndian, 500_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := countPackets(bytes.NewReader(data)); err != nil || n != 500_000 {
			b.Fatal(n, err)
		}
	}
}

// Received reads the message table of SIPp's last Scenario Screen: the
// count follows an E-RTD mark, and a second <recv> of the same code adds.
func TestResultReceivedCountsFromTheLastScreen(t *testing.T) {
	screen := `------------------------------ Scenario Screen -------- [1-9]: Change Screen --
                                 Messages  Retrans   Timeout   Unexpected-Msg
      INVITE ---------->         1         0         0
         401 <----------         0         0         0         0
------------------------------ Scenario Screen -------- [1-9]: Change Screen --
                                 Messages  Retrans   Timeout   Unexpected-Msg
      INVITE ---------->         2         0         0
         100 <----------         0         0         0         1
         401 <----------         1         0         0         0
         407 <----------         1         0         0         0
         200 <----------  E-RTD1 1         0         0         0
         ACK ---------->         1         0
         200 <----------         3         0         0         0
         BYE <----------         1         0         0         0
----------------------------- Statistics Screen ------- [1-9]: Change Screen --
         401 <----------         9
`
	r := &Result{Stats: screen}
	for msg, want := range map[string]int{"401": 1, "407": 1, "200": 4, "100": 0, "BYE": 1, "ACK": 0, "486": 0} {
		if got := r.Received(msg); got != want {
			t.Errorf("Received(%s) = %d, want %d", msg, got, want)
		}
	}
	if got := (&Result{Stats: "CurrentTime;ElapsedTime(C)\n1;2\n"}).Received("401"); got != -1 {
		t.Errorf("Received without a screen = %d, want -1", got)
	}
}
