// Package browser holds the agent bar's and the wallboard's whole-system
// tests: a real PBX (tests/testpbx), SIPp peers, and headless Chromium
// driven through playwright-core (driver.mjs) against the UI that `make ui`
// built and the PBX embeds. Under CI=true a missing build, Node or
// Chromium fails the tests; elsewhere they are skipped.
package browser
