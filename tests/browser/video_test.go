package browser

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
)

// Two browser agents hold a video call through the PBX: both turn video on
// (Chromium's fake camera), 王芳 dials 李强's extension from her bar, he
// answers in his; each browser decodes the other's frames (getStats
// framesDecoded), each session counts the video it passed on, and the
// audio of the call flows as ever. Video sent while the other end is not
// a browser goes nowhere: the PBX passes none before the call.
func TestTwoBrowsersHoldAVideoCall(t *testing.T) {
	needBrowser(t) // before the PBX: skip or fail at once
	p := floor(t, func(c *config.Config) { c.WebRTC.Disabled = false })
	passA := account(t, p, "wangfang", "agent", nil, "a1001")
	passB := account(t, p, "liqiang", "agent", nil, "a1002")
	a, b := startBrowser(t), startBrowser(t)
	for _, s := range []struct {
		br         *browser
		name, pass string
	}{{a, "wangfang", passA}, {b, "liqiang", passB}} {
		signIn(s.br, p, s.name, s.pass)
		s.br.Wait("bar", "[data-test=device]:has-text('浏览器话机')", 10*time.Second)
		s.br.Click("bar", "[data-test=video-toggle]")
		s.br.Wait("bar", "[data-test=video-toggle][aria-pressed=true]", 5*time.Second)
		s.br.Wait("bar", "[data-test=device]:has-text('浏览器话机')", 10*time.Second)
	}
	stats := func(agent string) (to, from uint64) {
		st, _ := p.Server.Browsers().SessionStats("demo", agent)
		return st.VideoToBrowser, st.VideoFromBrowser
	}
	time.Sleep(time.Second) // the cameras are sending: none of it may go anywhere yet
	if to, from := stats("a1001"); to != 0 || from != 0 {
		t.Fatalf("before any call, a1001's session passed video: %d to the browser, %d on", to, from)
	}

	a.Fill("bar", "#dial-to", "1002")
	a.Click("bar", "[data-test=dial]")
	b.Wait("bar", "[data-test=call][data-phase=ringing]", 10*time.Second)
	b.Click("bar", "[data-test=answer]")
	a.Wait("bar", "[data-test=call][data-phase=talking]", 10*time.Second)
	b.Wait("bar", "[data-test=call][data-phase=talking]", 5*time.Second)

	type quality struct{ PacketsIn, PacketsOut, FramesIn, FramesOut int }
	read := func(br *browser) quality {
		var q quality
		json.Unmarshal(br.Do(map[string]any{"op": "eval", "page": "bar", "js": "window.yimenBar.phone.quality()"}), &q)
		return q
	}
	deadline := time.Now().Add(15 * time.Second)
	var qa, qb quality
	for {
		qa, qb = read(a), read(b)
		if qa.FramesIn >= 30 && qb.FramesIn >= 30 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("王芳: %+v; 李强: %+v", qa, qb)
	if qa.FramesIn < 30 || qb.FramesIn < 30 {
		t.Fatalf("frames decoded: 王芳 %d, 李强 %d; want each to see the other's video", qa.FramesIn, qb.FramesIn)
	}
	if qa.PacketsIn < 100 || qb.PacketsIn < 100 {
		t.Errorf("audio packets in: 王芳 %d, 李强 %d; the call's audio should flow too", qa.PacketsIn, qb.PacketsIn)
	}
	toA, fromA := stats("a1001")
	toB, fromB := stats("a1002")
	t.Logf("video packets: to 王芳 %d, from 王芳 %d, to 李强 %d, from 李强 %d", toA, fromA, toB, fromB)
	if toA == 0 || toB == 0 || fromA == 0 || fromB == 0 {
		t.Errorf("a session passed no video: to/from a1001 %d/%d, a1002 %d/%d", toA, fromA, toB, fromB)
	}
	a.Wait("bar", "[data-test=remote-video]:visible", 5*time.Second)
	b.Wait("bar", "[data-test=remote-video]:visible", 5*time.Second)
	a.Shot("bar", "30-video-call-caller")
	b.Shot("bar", "31-video-call-callee")

	a.Click("bar", "[data-test=hangup]")
	a.Wait("bar", "[data-test=call][data-phase=idle]", 5*time.Second)
	b.Wait("bar", "[data-test=call][data-phase=idle]", 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	_, before := stats("a1001")
	time.Sleep(time.Second)
	if _, after := stats("a1001"); after != before {
		t.Errorf("after the call, a1001's video still went on: %d packets in a second", after-before)
	}
}
