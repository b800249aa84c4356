package sipp

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

// Available returns nil when the sipp binary is on PATH.
func Available() error {
	if _, err := exec.LookPath("sipp"); err != nil {
		return fmt.Errorf("sipp: not installed (apt-get install sip-tester): %w", errs.ErrUnavailable)
	}
	return nil
}

// Require skips tb when SIPp is missing, except under CI (env CI=true),
// where a missing SIPp fails the test: CI must not pass by skipping.
func Require(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		SkipUnlessCI(tb, err)
	}
}

// RequireTool is Require for another program a test drives (espeak-ng,
// sox, baresip); hint says how to install it.
func RequireTool(tb testing.TB, name, hint string) {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		SkipUnlessCI(tb, fmt.Errorf("%s: not installed (%s): %w", name, hint, errs.ErrUnavailable))
	}
}

// SkipUnlessCI skips tb for err (a peer the test needs is missing), or,
// under CI (env CI=true), fails it: CI must not pass by skipping.
func SkipUnlessCI(tb testing.TB, err error) {
	tb.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatal(err)
		return
	}
	tb.Skip(err)
}
