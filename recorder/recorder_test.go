package recorder

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/pbx/callevent"
)

const (
	callerTone = 500.0
	calleeTone = 1250.0
)

func callInfo(id, caller, callee string, answered time.Time) callevent.Call {
	return callevent.Call{ID: id, Tenant: "demo", Caller: caller, Callee: callee, Answered: answered, State: "answered"}
}

// assertTone checks that a span of one channel carries want and not other.
func assertTone(t *testing.T, a TestAudio, leg int, from, to, want, other float64) {
	t.Helper()
	x := a.Span(leg, from, to)
	got, leak := ToneAmplitude(x, want), ToneAmplitude(x, other)
	if got < 4000 || leak > got/20 {
		t.Errorf("channel %d, %.2f-%.2f s: %.0f Hz at %.0f, %.0f Hz at %.0f; want a clear %.0f Hz tone", leg, from, to, want, got, other, leak, want)
	}
}

func assertSilent(t *testing.T, a TestAudio, leg int, from, to float64) {
	t.Helper()
	if rms := RMS(a.Span(leg, from, to)); rms > 20 {
		t.Errorf("channel %d, %.2f-%.2f s: RMS %.0f, want silence", leg, from, to, rms)
	}
}

func TestRecordingIsStereoTalkLongWithHoldSilenced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		format  string
		encrypt bool
	}{{"alaw", "alaw", false}, {"ulaw sealed", "ulaw", true}, {"pcm", "pcm", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Recording) { c.Format, c.Encrypt = tc.format, tc.encrypt })
			t0 := time.Now()
			ci := callInfo("a1b2c3", "13812345678", "1002", t0)
			f.answer(ci)
			s := f.session(ci.ID)
			// 0.5 s talk, 0.5 s hold (the phones keep sending), 0.5 s talk.
			f.talk(s, 0, 75, [2]float64{callerTone, calleeTone}, func(i int) {
				switch i {
				case 25:
					f.r.CallHold(callevent.Hold{Call: ci, Held: true})
				case 50:
					f.r.CallHold(callevent.Hold{Call: ci, Held: false})
				}
			})
			f.r.CallEnded(callevent.Ended{Call: ci, CDR: callevent.CDR{End: t0.Add(1600 * time.Millisecond)}})
			<-s.done

			rec, err := f.r.index.get(context.Background(), ci.ID)
			if err != nil {
				t.Fatal(err)
			}
			format := Format(tc.format)
			if rec.State != StateComplete || rec.Duration != 1600*time.Millisecond || rec.Encrypted != tc.encrypt ||
				rec.Size != int64(format.headerLen()+12800*format.frameBytes()) || rec.CallerMasked != "138****5678" || rec.Agent != "a1002" {
				t.Fatalf("row = %+v", rec)
			}
			b := f.file(rec)
			sum := gm.SM3(b)
			if rec.SM3 != hex.EncodeToString(sum[:]) {
				t.Errorf("row SM3 %s does not match the file", rec.SM3)
			}
			a, err := DecodeTestWAV(b)
			if err != nil {
				t.Fatal(err)
			}
			if a.Seconds() != 1.6 {
				t.Fatalf("file holds %.3f s, want 1.6", a.Seconds())
			}
			assertTone(t, a, 0, 0.05, 0.45, callerTone, calleeTone)
			assertTone(t, a, 1, 0.05, 0.45, calleeTone, callerTone)
			assertSilent(t, a, 0, 0.55, 0.95)
			assertSilent(t, a, 1, 0.55, 0.95)
			assertTone(t, a, 0, 1.05, 1.45, callerTone, calleeTone)
			assertTone(t, a, 1, 1.05, 1.45, calleeTone, callerTone)
			assertSilent(t, a, 0, 1.52, 1.6) // after the last packet until hang-up
			if tc.encrypt {
				raw, _ := os.ReadFile(filepath.Join(f.cfg.Dir, filepath.FromSlash(rec.Path)))
				if strings.Contains(string(raw), "WAVE") {
					t.Error("sealed file shows its WAV header")
				}
			}
		})
	}
}

func TestPolicyOverridesAndOnDemandControl(t *testing.T) {
	f := newFixture(t, func(c *config.Recording) {
		c.Policy = "on_demand"
		c.Overrides = []config.RecordingOverride{{Extension: "1010", Policy: "never"}, {Tenant: "demo", Extension: "1003", Policy: "always"}}
	})
	ctx := context.Background()
	t0 := time.Now()
	always := callInfo("c1", "1001", "1003", t0)
	never := callInfo("c2", "1010", "1004", t0)
	demand := callInfo("c3", "1001", "1005", t0)
	var taps []*tapHolder
	for _, c := range []callevent.Call{always, never, demand} {
		taps = append(taps, f.answer(c))
	}
	if got := taps[0].attached(); got != f.session("c1") {
		t.Errorf("always: the call's media has tap %v, want its session", got)
	}
	if taps[1].attached() != nil || taps[2].attached() != nil {
		t.Error("a tap is attached to a never or on_demand call before Start")
	}
	if err := f.r.Start(ctx, "c2"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("start on a never line: %v, want ErrForbidden", err)
	}
	if err := f.r.Pause(ctx, "c3"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("pause before start: %v, want ErrConflict", err)
	}
	if err := f.r.Start(ctx, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("start unknown call: %v, want ErrNotFound", err)
	}
	if err := f.r.Start(ctx, "c3"); err != nil {
		t.Fatal(err)
	}
	if err := f.r.Start(ctx, "c3"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("second start: %v, want ErrConflict", err)
	}
	s := f.session("c3")
	if taps[2].attached() != s {
		t.Error("Start did not attach the session to the call's media")
	}
	// Pause while the caller reads out an ID number: silence, same length.
	f.talk(s, 0, 60, [2]float64{callerTone, calleeTone}, func(i int) {
		switch i {
		case 20:
			if err := f.r.Pause(ctx, "c3"); err != nil {
				t.Fatal(err)
			}
		case 40:
			if err := f.r.Resume(ctx, "c3"); err != nil {
				t.Fatal(err)
			}
		}
	})
	f.clock.Store(int64(1200 * time.Millisecond))
	if err := f.r.Stop(ctx, "c3"); err != nil {
		t.Fatal(err)
	}
	<-s.done
	f.r.CallEnded(callevent.Ended{Call: demand, CDR: callevent.CDR{End: time.Now()}})
	rec, err := f.r.index.get(ctx, "c3")
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecodeTestWAV(f.file(rec))
	if err != nil {
		t.Fatal(err)
	}
	if a.Seconds() < 1.2 {
		t.Fatalf("on-demand recording holds %.2f s, want at least the 1.2 s it ran", a.Seconds())
	}
	assertTone(t, a, 0, 0.05, 0.38, callerTone, calleeTone)
	assertSilent(t, a, 0, 0.45, 0.78)
	assertSilent(t, a, 1, 0.45, 0.78)
	assertTone(t, a, 1, 0.85, 1.18, calleeTone, callerTone)
	if _, err := f.r.index.get(ctx, "c2"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("the never line has a recording: %v", err)
	}
}

func TestRecoveryRepairsWhatACrashLeft(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "sealed"}[encrypt]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Recording) { c.Encrypt = encrypt })
			ctx := context.Background()
			// What a killed process leaves: a row in state recording and a
			// file with the growing-size header, one second of frames and
			// half of another frame, never closed.
			rec := Recording{ID: "dead01", Tenant: "demo", CallerMasked: "1001", Callee: "1002", Agent: "1002",
				Start: time.Now(), State: StateRecording, Format: FormatALaw, Encrypted: encrypt, Path: f.r.fileName("demo", "dead01", time.Now())}
			if err := f.r.index.insert(ctx, rec, "1001"); err != nil {
				t.Fatal(err)
			}
			sink, err := f.r.storage.Create(ctx, rec.Path)
			if err != nil {
				t.Fatal(err)
			}
			sink.Write(wavHeader(FormatALaw, -1))
			var frames []byte
			for i := range 8000 {
				frames = append(frames, ToneALaw(callerTone, 8000, i, 1)[0], ToneALaw(calleeTone, 8000, i, 1)[0])
			}
			sink.Write(append(frames, 0x55))

			r2 := f.open() // the restart
			got, err := r2.index.get(ctx, rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Sealed files lose the segment still being filled: at most one.
			want := time.Second
			if encrypt {
				want = time.Duration((segmentBytes-FormatALaw.headerLen())/2) * time.Second / sampleRate
			}
			if got.State != StateRecovered || got.Duration != want.Truncate(time.Millisecond) && got.Duration != want {
				t.Fatalf("after restart: %+v, want recovered with %v", got, want)
			}
			b := f.file(got)
			sum := gm.SM3(b)
			if got.SM3 != hex.EncodeToString(sum[:]) || got.Size != int64(len(b)) {
				t.Errorf("row size/SM3 do not match the repaired file")
			}
			a, err := DecodeTestWAV(b)
			if err != nil {
				t.Fatal(err)
			}
			assertTone(t, a, 0, 0, a.Seconds(), callerTone, calleeTone)
			assertTone(t, a, 1, 0, a.Seconds(), calleeTone, callerTone)
			if _, err := exec.LookPath("sox"); err == nil && !encrypt {
				out, err := exec.Command("sox", "--i", "-D", filepath.Join(f.cfg.Dir, filepath.FromSlash(got.Path))).CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != "1.000000" {
					t.Errorf("sox --i -D: %v %q, want 1.000000", err, out)
				}
			}
		})
	}
}

func TestInterruptedDeletionIsSettledAtStart(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	mk := func(id string) Recording {
		rec := Recording{ID: id, Tenant: "demo", Start: time.Now(), State: StateComplete, Format: FormatALaw, Path: "demo/d/" + id + ".wav"}
		if err := f.r.index.insert(ctx, rec, "1001"); err != nil {
			t.Fatal(err)
		}
		if err := writeAll(t, f.r.storage, rec.Path, wavHeader(FormatALaw, 0)).Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.r.storage.Rename(rec.Path, rec.Path+deletingSuffix); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	kept, gone := mk("keep1"), mk("gone1")
	if err := f.r.index.delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	f.open()
	dir := filepath.Join(f.cfg.Dir, "demo", "d")
	if _, err := os.Stat(filepath.Join(dir, "keep1.wav")); err != nil {
		t.Errorf("file whose row survived was not restored: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only %s", len(entries), kept.Path)
	}
}

func TestAnswerAfterTransferKeepsOneRecording(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	// The IVR answered 30 s ago; the caller is now bridged to an agent.
	ci := callInfo("xfer01", "1001", "1002", time.Now().Add(-30*time.Second))
	before := time.Now()
	first := f.answer(ci)
	s := f.session(ci.ID)
	if s.t0.Before(before) {
		t.Errorf("recording starts %v before the bridging", before.Sub(s.t0))
	}
	if first.attached() != s {
		t.Error("the session is not attached to the call's media")
	}
	// A second agent after another transfer: same recording, tap moved.
	ci.Callee = "1003"
	second := f.answer(ci)
	if f.session(ci.ID) != s {
		t.Fatal("a second answer started a second recording")
	}
	if second.attached() != s {
		t.Error("the session was not attached to the new media after a transfer")
	}
	f.talk(s, 0, 10, [2]float64{callerTone, calleeTone}, nil)
	f.r.CallEnded(callevent.Ended{Call: ci, CDR: callevent.CDR{End: s.now()}})
	<-s.done
	if rec, err := f.r.index.get(ctx, ci.ID); err != nil || rec.State != StateComplete {
		t.Fatalf("recording %+v, %v", rec, err)
	}

	// An answer reported after the end (from another goroutine) is ignored.
	late := callInfo("late01", "1001", "1002", time.Now())
	f.r.CallEnded(callevent.Ended{Call: late, CDR: callevent.CDR{End: time.Now()}})
	f.answer(late)
	f.r.mu.Lock()
	n := len(f.r.calls)
	f.r.mu.Unlock()
	if n != 0 {
		t.Errorf("%d calls tracked after an answer that came after the end", n)
	}
}
