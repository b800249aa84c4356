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
	err := Available()
	if err == nil {
		return
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatal(err)
		return
	}
	tb.Skip(err)
}
