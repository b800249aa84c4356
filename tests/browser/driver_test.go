package browser

import (
	"fmt"
	"testing"

	"github.com/yimen/yimen/agentbar"
	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/browserdriver"
	"github.com/yimen/yimen/tests/testpbx"
)

// browser is one headless Chromium behind driver.mjs (tests/browserdriver),
// with the short names these tests use.
type browser struct {
	*browserdriver.Browser
	t *testing.T
}

func driverOptions(w, h int) browserdriver.Options {
	return browserdriver.Options{Driver: testpbx.RepoPath("tests/browser/driver.mjs"), Modules: testpbx.RepoPath("agentbar/web"), Width: w, Height: h}
}

// needBrowser skips (or under CI fails) when the UI is not built or Node,
// playwright-core or Chromium is missing.
func needBrowser(t *testing.T) {
	t.Helper()
	if !agentbar.New(nil).Built() {
		sipp.SkipUnlessCI(t, fmt.Errorf("the agent bar UI is not built into this test binary: run make ui"))
	}
	browserdriver.Need(t, driverOptions(0, 0))
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
	return &browser{Browser: browserdriver.Start(t, driverOptions(w, h)), t: t}
}

// login signs in on the page's login form.
func (b *browser) login(page, name, password string) {
	b.t.Helper()
	b.Fill(page, "#l-name", name)
	b.Fill(page, "#l-pass", password)
	b.Click(page, "button[type=submit]")
}
