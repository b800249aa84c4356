package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time by `make release`:
//
//	-X github.com/yimen/yimen/internal/version.version=v1.2.3
//	-X github.com/yimen/yimen/internal/version.commit=0123abcd
//
// They are written only by the linker, never at run time.
var (
	version string
	commit  string
)

// Info is what a build says about itself.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
	// Platform is GOOS/GOARCH, e.g. linux/loong64.
	Platform string `json:"platform"`
}

// Get returns the build's identity.
func Get() Info {
	return get(version, commit, debug.ReadBuildInfo)
}

func get(v, c string, read func() (*debug.BuildInfo, bool)) Info {
	in := Info{Version: v, Commit: c, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && in.Commit == "" {
				in.Commit = s.Value
			}
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	if len(in.Commit) > 12 {
		in.Commit = in.Commit[:12]
	}
	return in
}

// String is the one line -version prints.
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, %s, %s)", i.Version, i.Commit, i.Go, i.Platform)
}

// Asked reports whether a command's arguments ask only for its version
// (-version or --version as the first argument), for the commands whose
// first argument is otherwise a subcommand.
func Asked(args []string) bool {
	return len(args) > 0 && (args[0] == "-version" || args[0] == "--version")
}
