package browserdriver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
)

// Chromium is Debian's browser (scripts/install-deps.sh installs it).
const Chromium = "/usr/bin/chromium"

// Options say where the driver and playwright-core are and the window size.
type Options struct {
	// Driver is tests/browser/driver.mjs.
	Driver string
	// Modules is the web app's directory whose node_modules holds
	// playwright-core (make ui installs it).
	Modules       string
	Width, Height int
}

// Browser is one headless Chromium behind the driver.
type Browser struct {
	t     testing.TB
	in    io.WriteCloser
	out   *bufio.Scanner
	shots string
}

// Need skips (or under CI fails) when Node, Chromium or playwright-core is
// missing.
func Need(t testing.TB, o Options) {
	t.Helper()
	sipp.RequireTool(t, "node", "Node.js 20+")
	if _, err := os.Stat(Chromium); err != nil {
		sipp.SkipUnlessCI(t, fmt.Errorf("%s: %w (scripts/install-deps.sh installs Debian's chromium)", Chromium, err))
	}
	if _, err := os.Stat(filepath.Join(o.Modules, "node_modules", "playwright-core")); err != nil {
		sipp.SkipUnlessCI(t, fmt.Errorf("playwright-core not installed: %w (make ui runs npm ci)", err))
	}
}

// Start starts Chromium; screenshots go to a temporary directory, or under
// $YIMEN_SCREENSHOTS/TEST to keep them.
func Start(t testing.TB, o Options) *Browser {
	t.Helper()
	Need(t, o)
	// Chromium's helper processes may still write to the profile for a
	// moment after the browser closed: removed with retries, not by
	// t.TempDir (whose removal would fail the test).
	dir, err := os.MkdirTemp("", "yimen-browser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("left %s behind", dir)
	})
	cmd := exec.Command("node", o.Driver)
	cmd.Env = append(os.Environ(), "UI_DIR="+o.Modules, "PROFILE_DIR="+dir, "CHROMIUM="+Chromium,
		fmt.Sprintf("WIDTH=%d", o.Width), fmt.Sprintf("HEIGHT=%d", o.Height))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &Browser{t: t, in: in, out: bufio.NewScanner(out), shots: filepath.Join(dir, "screenshots")}
	if keep := os.Getenv("YIMEN_SCREENSHOTS"); keep != "" {
		b.shots = filepath.Join(keep, t.Name())
	}
	b.out.Buffer(make([]byte, 1<<20), 1<<20)
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser console: %s", b.Try(map[string]any{"op": "logs"}).Value)
		}
		fmt.Fprintln(in, `{"op":"quit"}`)
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	return b
}

// Reply is the driver's answer to one command.
type Reply struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// Try runs one command and returns its reply, error or not.
func (b *Browser) Try(c map[string]any) Reply {
	line, _ := json.Marshal(c)
	if _, err := fmt.Fprintf(b.in, "%s\n", line); err != nil {
		return Reply{Error: err.Error()}
	}
	if !b.out.Scan() {
		return Reply{Error: fmt.Sprintf("driver ended: %v", b.out.Err())}
	}
	var r Reply
	if err := json.Unmarshal(b.out.Bytes(), &r); err != nil {
		return Reply{Error: fmt.Sprintf("driver said %q", b.out.Text())}
	}
	return r
}

// Do runs one command, failing the test (with a screenshot) on an error.
func (b *Browser) Do(c map[string]any) json.RawMessage {
	b.t.Helper()
	r := b.Try(c)
	if !r.OK {
		b.Shot(fmt.Sprint(c["page"]), "failed")
		b.t.Fatalf("browser %v: %s", c, r.Error)
	}
	return r.Value
}

// Open loads url in the named page (made on first use).
func (b *Browser) Open(page, url string) {
	b.t.Helper()
	b.Do(map[string]any{"op": "open", "page": page, "url": url})
}

// Fill types v into the element sel finds.
func (b *Browser) Fill(page, sel, v string) {
	b.t.Helper()
	b.Do(map[string]any{"op": "fill", "page": page, "selector": sel, "value": v})
}

// Click clicks the element sel finds.
func (b *Browser) Click(page, sel string) {
	b.t.Helper()
	b.Do(map[string]any{"op": "click", "page": page, "selector": sel})
}

// Press presses a key (Playwright's names: "Tab", "Enter").
func (b *Browser) Press(page, key string) {
	b.t.Helper()
	b.Do(map[string]any{"op": "press", "page": page, "value": key})
}

// Wait waits until sel finds a visible element.
func (b *Browser) Wait(page, sel string, within time.Duration) {
	b.t.Helper()
	b.Do(map[string]any{"op": "wait", "page": page, "selector": sel, "timeout": within.Milliseconds()})
}

// Text is the text of the element sel finds.
func (b *Browser) Text(page, sel string) string {
	b.t.Helper()
	var s string
	json.Unmarshal(b.Do(map[string]any{"op": "text", "page": page, "selector": sel}), &s)
	return s
}

// Eval runs js in the page and decodes its value into out (nil: dropped).
func (b *Browser) Eval(page, js string, out any) {
	b.t.Helper()
	v := b.Do(map[string]any{"op": "eval", "page": page, "js": js})
	if out != nil {
		if err := json.Unmarshal(v, out); err != nil {
			b.t.Fatalf("eval %q: %v (%s)", js, err, v)
		}
	}
}

// Shot saves a full-page screenshot as NAME.png among the test's artefacts.
func (b *Browser) Shot(page, name string) {
	p := filepath.Join(b.shots, name+".png")
	if r := b.Try(map[string]any{"op": "shot", "page": page, "path": p}); r.OK {
		b.t.Logf("screenshot %s", p)
	}
}
