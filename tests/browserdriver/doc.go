// Package browserdriver runs headless Chromium for whole-system browser
// tests: Debian's chromium driven by playwright-core through the line
// protocol of tests/browser/driver.mjs, at a given window size, with
// screenshots kept as test artefacts. A missing Node, Chromium or
// playwright-core skips the test, or fails it under CI=true.
package browserdriver
