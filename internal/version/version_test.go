package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestLinkerStampWinsOverBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206-abc"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ffffffffffffffffffff"}}}
	read := func() (*debug.BuildInfo, bool) { return bi, true }
	got := get("v1.4.0", "0123456789abcdef", read)
	if got.Version != "v1.4.0" || got.Commit != "0123456789ab" {
		t.Fatalf("stamped build: %+v", got)
	}
	got = get("", "", read)
	if got.Version != "v0.0.0-20261206-abc" || got.Commit != "ffffffffffff" {
		t.Fatalf("unstamped build: %+v", got)
	}
}

func TestUnknownBuildSaysSo(t *testing.T) {
	got := get("", "", func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true
	})
	if got.Version != "dev" || got.Commit != "unknown" {
		t.Fatalf("%+v", got)
	}
	if s := got.String(); !strings.HasPrefix(s, "dev (commit unknown, go") || !strings.Contains(s, "/") {
		t.Fatalf("String() = %q", s)
	}
}
