package system_test

import (
	"flag"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// BenchmarkIVRConcurrentSessions holds N simultaneous IVR calls, each playing
// prompts as paced RTP and waiting for keys, and reports the PBX's CPU per
// session and the share of calls that completed. Run it with
//
//	go test ./pbx -run '^$' -bench IVRConcurrent -benchtime 1x -ivr.sessions 500
func BenchmarkIVRConcurrentSessions(b *testing.B) {
	sipp.Require(b)
	flows, _ := filepath.Abs(filepath.Join("testdata", "ivrbench"))
	prompts := testpbx.RepoPath("configs/prompts")
	p := testpbx.Start(b, func(c *cfgT) {
		c.IVR = config.IVR{Flows: flows, Prompts: prompts}
		c.Tenants[0].IVR = map[string]string{"8000": "bench"}
		c.RTP.PortMin, c.RTP.PortMax = 40000, 49999
		c.Calls.MaxPerExtension = 0 // every session is 1001's
		c.Log.Level = "warn"
	})
	n := *ivrSessions
	for i := 0; i < b.N; i++ {
		var before, after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		start := time.Now()
		res, err := sipp.Run(b.Context(), sipp.Options{Scenario: ivrCallerB(b), Remote: p.SIPAddr(), LocalIP: "127.0.30.1",
			User: "1001", Password: p.Secrets["1001"], Service: "8000", Calls: n, Rate: float64(n) / 5, Limit: n,
			Timeout: 90 * time.Second, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
		b.ReportMetric(float64(res.Successful)/float64(n)*100, "%completed")
		b.ReportMetric(cpu.Seconds()/wall.Seconds()*100, "%core")
		b.ReportMetric(float64(cpu.Microseconds())/float64(n)/wall.Seconds(), "µs-cpu/session/s")
		b.Logf("%d sessions: %d ok, %d failed, wall %v, PBX CPU %v (%.1f%% of a core)", n, res.Successful, res.Failed, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), cpu.Seconds()/wall.Seconds()*100)
	}
}

func ivrCallerB(b *testing.B) string {
	path, err := sipp.Render(b.TempDir(), "uac_ivr.tmpl", struct {
		Steps  []ivrStep
		End    string
		WaitMs int
	}{nil, "wait_bye", 40000})
	if err != nil {
		b.Fatal(err)
	}
	return path
}

var ivrSessions = flag.Int("ivr.sessions", 100, "simultaneous IVR sessions for BenchmarkIVRConcurrentSessions")
