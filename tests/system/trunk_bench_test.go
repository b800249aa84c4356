package system_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/trunk"
	"github.com/yimen/yimen/tests/testpbx"
)

var (
	trunkBenchCalls = flag.Int("trunk.calls", 1000, "calls per case for BenchmarkTrunkCallSetup")
	trunkBenchRate  = flag.Float64("trunk.rate", 100, "call set-ups per second for BenchmarkTrunkCallSetup")
)

// BenchmarkTrunkCallSetup places the same number of 1 s calls, without
// media, at one rate along three paths and reports the PBX's CPU per
// call set-up (the whole call: INVITE to BYE, both legs, CDR):
//
//   - extension: a phone calls an extension (digest challenge, 407 and
//     a second INVITE, as bench/calls.sh);
//   - carrier-did: a carrier calls a DID that rings the extension (no
//     challenge; the trunk's source check, DID lookup, caller
//     normalisation and caps instead);
//   - extension-trunk: a phone calls a mobile number that leaves through
//     a trunk to a carrier (challenge, then classification, route, caps,
//     number formats).
//
// Run it with
//
//	go test ./tests/system -run '^$' -bench TrunkCallSetup -benchtime 1x -trunk.calls 2000 -trunk.rate 200
func BenchmarkTrunkCallSetup(b *testing.B) {
	sipp.Require(b)
	const carrierIP, phoneIP, calleeIP = "127.0.113.100", "127.0.113.101", "127.0.113.102"
	carrierPort := testpbx.FreeUDPPort(b, carrierIP)
	p := testpbx.Start(b, withTrunks(config.TenantTrunks{
		AreaCode: "010", CallerID: "01058001000",
		Trunks: []config.Trunk{{Name: "bench", Auth: "ip", Proxy: carrierIP + ":" + strconv.Itoa(carrierPort),
			Addresses: []string{carrierIP + "/32"}, OptionsInterval: time.Second}},
		DIDs:   []config.DID{{Number: "01058001000", Target: "1003"}},
		Routes: []config.OutboundRoute{{Name: "mobile", Patterns: []string{"_1[3-9]XXXXXXXXX"}, Trunks: []string{"bench"}}},
	}), func(c *config.Config) {
		c.RTP.PortMin, c.RTP.PortMax = 40000, 49999
		c.Calls.MaxPerExtension = 0 // every call is 1002's or to 1003
		c.Log.Level = "warn"
	})
	callee, err := sipp.Start(b.Context(), sipp.Options{Scenario: sipp.Scenario("uas.xml"), LocalIP: calleeIP, Dir: b.TempDir(), Timeout: 10 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { callee.Stop() })
	p.Register(b, "1003", calleeIP, callee.Port())
	carrierUASProc, err := sipp.Start(b.Context(), sipp.Options{Scenario: carrierUAS(b, 200), LocalIP: carrierIP, LocalPort: carrierPort,
		Dir: b.TempDir(), Timeout: 10 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { carrierUASProc.Stop() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if s := p.Server.Trunks().Statuses("demo"); len(s) == 1 && s[0].State == trunk.StateUp {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the bench trunk did not come up: %+v", p.Server.Trunks().Statuses("demo"))
		}
	}
	users := filepath.Join(b.TempDir(), "users.csv")
	if err := os.WriteFile(users, []byte("SEQUENTIAL\n1002;"+p.Secrets["1002"]+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	n := *trunkBenchCalls
	phone := func(service string) sipp.Options {
		return sipp.Options{Scenario: sipp.Scenario("uac_auth.xml"), Remote: p.SIPAddr(), LocalIP: phoneIP, Service: service,
			Extra: []string{"-inf", users, "-au", "[field0]", "-ap", "[field1]", "-auth_uri", service + "@" + p.SIPAddr(), "-d", "1000"}}
	}
	cases := []struct {
		name string
		opts sipp.Options
	}{
		{"extension", phone("1003")},
		{"carrier-did", sipp.Options{Scenario: sipp.Scenario("carrier_uac.xml"), Remote: p.Server.TrunkAddr(), LocalIP: carrierIP,
			Service: "01058001000", Extra: []string{"-d", "1000"}}},
		{"extension-trunk", phone("13812345678")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				o := c.opts
				o.Calls, o.Rate, o.Timeout, o.Dir = n, *trunkBenchRate, time.Duration(float64(n) / *trunkBenchRate * float64(time.Second))+60*time.Second, b.TempDir()
				var before, after syscall.Rusage
				syscall.Getrusage(syscall.RUSAGE_SELF, &before)
				start := time.Now()
				res, err := sipp.Run(b.Context(), o)
				if err != nil && res == nil {
					b.Fatal(err)
				}
				wall := time.Since(start)
				syscall.Getrusage(syscall.RUSAGE_SELF, &after)
				cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
				b.ReportMetric(float64(res.Successful)/float64(n)*100, "%ok")
				b.ReportMetric(float64(cpu.Microseconds())/float64(n), "µs-cpu/call")
				b.ReportMetric(cpu.Seconds()/wall.Seconds()*100, "%core")
				b.Logf("%s: %d calls at %.0f/s: %d ok, %d failed; PBX CPU %v, %.0f µs per call", c.name, n, *trunkBenchRate,
					res.Successful, res.Failed, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(n))
			}
		})
	}
}
