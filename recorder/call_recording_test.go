package recorder_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/recorder"
	"github.com/yimen/yimen/tests/testpbx"
)

const (
	callerHz = 500.0  // the caller's pcap
	calleeHz = 1250.0 // the callee's pcap
)

// startCallee starts a SIPp callee that answers and plays pcap, and
// registers it as ext; hangupMS > 0 makes it hang up by itself.
func startCallee(t *testing.T, sipAddr, secret, ext, ip, pcap string, hangupMS int) *sipp.Proc {
	t.Helper()
	sipp.Require(t)
	proc, err := sipp.Start(t.Context(), sipp.Options{Scenario: scenarioWithPcap(t, "uas_answer.xml", pcap), LocalIP: ip,
		Vars: map[string]string{"play_pcap": "1", "hangup_ms": fmt.Sprint(hangupMS)}, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	res, err := sipp.Run(t.Context(), sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: sipAddr, LocalIP: ip,
		User: ext, Password: secret, Service: ext, Dir: t.TempDir(), Timeout: 20 * time.Second,
		Vars: map[string]string{"contact_port": fmt.Sprint(proc.Port()), "expires": "600"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(1); err != nil {
		t.Fatalf("register %s: %v", ext, err)
	}
	return proc
}

// call runs a SIPp caller as ext through the PBX.
func call(t *testing.T, sipAddr, secret, ext, ip, scenario, callee string, vars map[string]string) *sipp.Result {
	t.Helper()
	return testpbx.RunSIPp(t, sipp.Options{Scenario: scenario, Remote: sipAddr, LocalIP: ip, User: ext, Password: secret,
		Service: callee, Vars: vars})
}

func adminAPI(t *testing.T, p *testpbx.PBX) api {
	return api{t: t, base: "http://" + p.HTTPAddr(), token: p.AdminToken}
}

func TestSIPpCallIsRecordedCallerLeftCalleeRight(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *config.Config) { c.Recording.Policy = "always" })
	callerPcap, calleePcap := writeTonePcap(t, callerHz, 6*time.Second), writeTonePcap(t, calleeHz, 6*time.Second)
	startCallee(t, p.SIPAddr(), p.Secrets["1002"], "1002", "127.0.41.2", calleePcap, 0)
	res := call(t, p.SIPAddr(), p.Secrets["1001"], "1001", "127.0.41.1", scenarioWithPcap(t, "uac_call.xml", callerPcap), "1002",
		map[string]string{"talk_ms": "4000"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	a := adminAPI(t, p)
	rec := a.waitRecording("complete")
	cdr := p.CDRs(t, 1)[0]
	file, audio := a.audio(rec)

	talk := cdr.Talk.Seconds()
	t.Logf("recording %.3f s, talk %.3f s, caller tone %.0f, callee tone %.0f", audio.Seconds(), talk, recorder.ToneAmplitude(audio.Span(0, 0.5, 3), callerHz), recorder.ToneAmplitude(audio.Span(1, 0.5, 3), calleeHz))
	if d := audio.Seconds() - talk; d < -0.1 || d > 0.1 {
		t.Errorf("recording is %.3f s, talk time %.3f s: want within 100 ms", audio.Seconds(), talk)
	}
	if rec.ID != cdr.ID || rec.Caller != "1001" || rec.Callee != "1002" || rec.Format != "alaw" || int64(len(file)) != rec.SizeBytes {
		t.Errorf("recording %+v for CDR %s", rec, cdr.ID)
	}
	for from := 0.3; from+0.5 < talk-0.2; from += 0.5 {
		checkTone(t, audio, 0, from, from+0.5, callerHz, calleeHz)
		checkTone(t, audio, 1, from, from+0.5, calleeHz, callerHz)
	}

	// Range requests through the PBX's admin API return the right bytes.
	for rg, want := range map[string][]byte{
		"bytes=0-57": file[:58], "bytes=8000-8999": file[8000:9000], fmt.Sprintf("bytes=%d-", len(file)-321): file[len(file)-321:],
	} {
		res, body := a.do("GET", rec.Audio, map[string]string{"Range": rg})
		if res.StatusCode != 206 || !bytes.Equal(body, want) {
			t.Errorf("Range %s: %d, %d bytes; want 206 and %d bytes", rg, res.StatusCode, len(body), len(want))
		}
	}
	noToken := api{t: t, base: a.base}
	if res, _ := noToken.do("GET", rec.Audio, nil); res.StatusCode != 401 {
		t.Errorf("audio without the admin token: %d, want 401", res.StatusCode)
	}
}

func TestSIPpHoldIsSilenceNotAShorterFile(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *config.Config) {
		c.Recording.Policy, c.Recording.Format, c.Recording.Encrypt = "always", "pcm", true
	})
	callerPcap, calleePcap := writeTonePcap(t, callerHz, 8*time.Second), writeTonePcap(t, calleeHz, 8*time.Second)
	startCallee(t, p.SIPAddr(), p.Secrets["1002"], "1002", "127.0.42.2", calleePcap, 0)
	res := call(t, p.SIPAddr(), p.Secrets["1001"], "1001", "127.0.42.1", scenarioWithPcap(t, "uac_hold.xml", callerPcap), "1002",
		map[string]string{"talk_ms": "1500", "hold_ms": "2000"})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	a := adminAPI(t, p)
	rec := a.waitRecording("complete")
	cdr := p.CDRs(t, 1)[0]
	_, audio := a.audio(rec)
	if !rec.Encrypted || rec.Format != "pcm" {
		t.Errorf("recording %+v, want sealed PCM", rec)
	}
	if d := audio.Seconds() - cdr.Talk.Seconds(); d < -0.1 || d > 0.1 {
		t.Errorf("recording is %.3f s, talk time %v: want within 100 ms", audio.Seconds(), cdr.Talk)
	}
	if cdr.Hold < 1500*time.Millisecond {
		t.Fatalf("CDR hold %v: the call was not held", cdr.Hold)
	}
	// Talk 1.5 s, hold ~2 s (both phones keep sending), talk 1.5 s.
	checkTone(t, audio, 0, 0.3, 1.3, callerHz, calleeHz)
	checkTone(t, audio, 1, 0.3, 1.3, calleeHz, callerHz)
	checkSilent(t, audio, 0, 1.9, 3.3)
	checkSilent(t, audio, 1, 1.9, 3.3)
	end := audio.Seconds()
	checkTone(t, audio, 0, end-1.2, end-0.2, callerHz, calleeHz)
	checkTone(t, audio, 1, end-1.2, end-0.2, calleeHz, callerHz)
}
