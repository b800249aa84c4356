package testpbx

import (
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"runtime"

	"github.com/yimen/yimen/internal/config"
)

// Loopback returns an address of its own for one PBX, in 127.64.0.0/10:
// SIP, HTTP and the RTP range all bind it, so PBXes of tests running at
// once (t.Parallel, and test binaries of other packages) share no port
// range, and a capture filtered on a peer's address sees one test's
// traffic. The tests' SIPp peers use 127.0.0.0/16, outside this block.
// Drawn at random rather than counted so that separate test binaries do
// not hand out the same sequence.
func Loopback() string {
	return fmt.Sprintf("127.%d.%d.%d", 64+rand.IntN(64), rand.IntN(256), 1+rand.IntN(254))
}

// Host is the address a PBX's configuration listens on (its SIP/UDP
// host), for options that need it before the PBX starts, such as a
// tenant's domain.
func Host(c *config.Config) string {
	h, _, err := net.SplitHostPort(c.SIP.UDP)
	if err != nil {
		return c.SIP.UDP
	}
	return h
}

// RepoPath is the absolute path of rel (slash-separated, from the module
// root), wherever the test binary runs: configs/prompts, configs/*.ivr.
func RepoPath(rel string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) { // -trimpath: tests run two levels below the root
		abs, _ := filepath.Abs(filepath.Join("..", "..", filepath.FromSlash(rel)))
		return abs
	}
	return filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(rel))
}
