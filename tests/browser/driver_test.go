package browser

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

	"github.com/yimen/yimen/agentbar"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

const chromium = "/usr/bin/chromium"

// browser is one headless Chromium behind driver.mjs.
type browser struct {
	t     *testing.T
	in    io.WriteCloser
	out   *bufio.Scanner
	shots string
}

// needBrowser skips (or under CI fails) when the UI is not built or Node,
// playwright-core or Chromium is missing.
func needBrowser(t *testing.T) {
	t.Helper()
	if !agentbar.New(nil).Built() {
		sipp.SkipUnlessCI(t, fmt.Errorf("the agent bar UI is not built into this test binary: run make ui"))
	}
	sipp.RequireTool(t, "node", "Node.js 20+")
	if _, err := os.Stat(chromium); err != nil {
		sipp.SkipUnlessCI(t, fmt.Errorf("%s: %w (scripts/install-deps.sh installs Debian's chromium)", chromium, err))
	}
	if _, err := os.Stat(testpbx.RepoPath("agentbar/web/node_modules/playwright-core")); err != nil {
		sipp.SkipUnlessCI(t, fmt.Errorf("playwright-core not installed: %w (make ui runs npm ci)", err))
	}
}

// startBrowser starts Chromium at 1366×768; screenshots go to the test's
// temporary directory, or under $YIMEN_SCREENSHOTS to keep them.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	return startBrowserSized(t, 1366, 768)
}

// startBrowserSized starts Chromium with a window of w×h.
func startBrowserSized(t *testing.T, w, h int) *browser {
	t.Helper()
	needBrowser(t)
	// Chromium's helper processes may still write to the profile for a moment
	// after the browser closed: the directory is removed with retries, not by
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
	cmd := exec.CommandContext(t.Context(), "node", "driver.mjs")
	cmd.Env = append(os.Environ(), "UI_DIR="+testpbx.RepoPath("agentbar/web"), "PROFILE_DIR="+dir, "CHROMIUM="+chromium,
		fmt.Sprintf("WIDTH=%d", w), fmt.Sprintf("HEIGHT=%d", h))
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
	b := &browser{t: t, in: in, out: bufio.NewScanner(out), shots: filepath.Join(dir, "screenshots")}
	if keep := os.Getenv("YIMEN_SCREENSHOTS"); keep != "" {
		b.shots = filepath.Join(keep, t.Name()) // kept after the test, for a look
	}
	b.out.Buffer(make([]byte, 1<<20), 1<<20)
	os.MkdirAll(b.shots, 0o755)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser console: %s", b.try(map[string]any{"op": "logs"}).Value)
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

type reply struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

func (b *browser) try(c map[string]any) reply {
	line, _ := json.Marshal(c)
	if _, err := fmt.Fprintf(b.in, "%s\n", line); err != nil {
		return reply{Error: err.Error()}
	}
	if !b.out.Scan() {
		return reply{Error: fmt.Sprintf("driver ended: %v", b.out.Err())}
	}
	var r reply
	if err := json.Unmarshal(b.out.Bytes(), &r); err != nil {
		return reply{Error: fmt.Sprintf("driver said %q", b.out.Text())}
	}
	return r
}

// do runs one command, failing the test on an error.
func (b *browser) do(c map[string]any) json.RawMessage {
	b.t.Helper()
	r := b.try(c)
	if !r.OK {
		b.shot(fmt.Sprint(c["page"]), "failed")
		b.t.Fatalf("browser %v: %s", c, r.Error)
	}
	return r.Value
}

func (b *browser) open(page, url string) {
	b.t.Helper()
	b.do(map[string]any{"op": "open", "page": page, "url": url})
}
func (b *browser) fill(page, sel, v string) {
	b.t.Helper()
	b.do(map[string]any{"op": "fill", "page": page, "selector": sel, "value": v})
}
func (b *browser) click(page, sel string) {
	b.t.Helper()
	b.do(map[string]any{"op": "click", "page": page, "selector": sel})
}
func (b *browser) wait(page, sel string, within time.Duration) {
	b.t.Helper()
	b.do(map[string]any{"op": "wait", "page": page, "selector": sel, "timeout": within.Milliseconds()})
}
func (b *browser) text(page, sel string) string {
	b.t.Helper()
	var s string
	json.Unmarshal(b.do(map[string]any{"op": "text", "page": page, "selector": sel}), &s)
	return s
}

// shot saves a full-page screenshot as NAME.png among the test's artefacts.
func (b *browser) shot(page, name string) {
	p := filepath.Join(b.shots, name+".png")
	if r := b.try(map[string]any{"op": "shot", "page": page, "path": p}); r.OK {
		b.t.Logf("screenshot %s", p)
	}
}

// login signs in on the page's login form.
func (b *browser) login(page, name, password string) {
	b.t.Helper()
	b.fill(page, "#l-name", name)
	b.fill(page, "#l-pass", password)
	b.click(page, "button[type=submit]")
}
