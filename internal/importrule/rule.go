package importrule

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Graph maps a package's module-relative path ("pbx/b2bua") to the
// module-relative paths it imports directly. Standard-library and
// third-party imports are left out.
type Graph map[string][]string

// Violation is one import the rule forbids.
type Violation struct {
	Rule     string
	From, To string
	Via      []string // for a rule on indirect imports: the path from From to To
}

func (v Violation) String() string {
	if len(v.Via) > 2 {
		return fmt.Sprintf("%s: %s imports %s (via %s)", v.Rule, v.From, v.To, strings.Join(v.Via, " → "))
	}
	return fmt.Sprintf("%s: %s imports %s", v.Rule, v.From, v.To)
}

// Rule forbids imports from the packages it applies to.
type Rule struct {
	Name string
	// Indirect makes the rule apply to every package reachable from From,
	// not only to its direct imports.
	Indirect bool
	From     func(pkg string) bool
	Forbid   func(from, to string) bool
}

// features are the product's vertical packages; internal/* serves them and
// may import none of them.
var features = []string{"pbx", "acd", "ivr", "cti", "recorder", "contactcenter", "oa", "agentbar"}

func top(pkg string) string {
	t, _, _ := strings.Cut(pkg, "/")
	return t
}

func under(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

// IsFeature reports whether pkg belongs to a feature package.
func IsFeature(pkg string) bool { return slices.Contains(features, top(pkg)) }

// IsPlatform reports whether pkg is shared infrastructure under internal/.
func IsPlatform(pkg string) bool { return under(pkg, "internal") }

// IsHarness reports whether pkg exists for tests: the system tests, the
// test PBX, the SIPp runner and the fakes packages (…test).
func IsHarness(pkg string) bool {
	if under(pkg, "tests") || pkg == "internal/sipp" {
		return true
	}
	last := pkg[strings.LastIndex(pkg, "/")+1:]
	return strings.HasSuffix(last, "test") && last != "test"
}

// Rules is the import rule. docs/ARCHITECTURE.md says the same in prose.
func Rules() []Rule {
	not := func(f func(string) bool) func(string) bool { return func(p string) bool { return !f(p) } }
	return []Rule{
		{
			Name: "internal/* imports no feature package",
			From: IsPlatform,
			Forbid: func(_, to string) bool {
				return IsFeature(to)
			},
		},
		{
			Name:     "oa and cmd/oa never import the PBX's packages (pbx, acd, contactcenter, recorder, ivr, the cti hub): the OA talks to the PBX over the CTI websocket",
			Indirect: true,
			From:     func(p string) bool { return under(p, "oa") || under(p, "cmd/oa") },
			Forbid: func(_, to string) bool {
				for _, root := range []string{"pbx", "acd", "contactcenter", "recorder", "ivr"} {
					if under(to, root) {
						return true
					}
				}
				// Of the CTI, only the Go client and the message types.
				return under(to, "cti") && to != "cti/client" && to != "cti/protocol"
			},
		},
		{
			Name: "acd imports only acd and platform packages",
			From: func(p string) bool { return under(p, "acd") && !IsHarness(p) },
			Forbid: func(_, to string) bool {
				return !under(to, "acd") && !IsPlatform(to)
			},
		},
		{
			Name:     "ivr never imports pbx: calls reach it through its Session interface",
			Indirect: true,
			From:     func(p string) bool { return under(p, "ivr") },
			Forbid:   func(_, to string) bool { return under(to, "pbx") },
		},
		{
			Name:   "cti/client imports only cti/protocol",
			From:   func(p string) bool { return under(p, "cti/client") },
			Forbid: func(_, to string) bool { return to != "cti/protocol" },
		},
		{
			Name: "the pbx leaves (media, sdp, guard, registrar, mix) import only internal/errs, internal/httpx, internal/udpbatch and internal/fifomap",
			From: func(p string) bool {
				return slices.Contains([]string{"pbx/media", "pbx/sdp", "pbx/guard", "pbx/registrar", "pbx/mix"}, p)
			},
			Forbid: func(_, to string) bool {
				return !slices.Contains([]string{"internal/errs", "internal/httpx", "internal/udpbatch", "internal/fifomap"}, to)
			},
		},
		{
			Name: "pbx/webrtc imports only pbx/sdp and internal/{errs,prompt}: it meets calls over SIP and ends them through the CallEnder it is given",
			From: func(p string) bool { return p == "pbx/webrtc" },
			Forbid: func(_, to string) bool {
				return !slices.Contains([]string{"pbx/sdp", "internal/errs", "internal/prompt"}, to)
			},
		},
		{
			Name:   "internal/httpx imports only internal/errs, so the leaves, auth and audit can answer HTTP with it",
			From:   func(p string) bool { return p == "internal/httpx" },
			Forbid: func(_, to string) bool { return to != "internal/errs" },
		},
		{
			Name:     "cti, recorder and contactcenter reach pbx only through pbx/callevent: they hear calls as values",
			Indirect: true,
			From: func(p string) bool {
				return (under(p, "cti") || under(p, "recorder") || under(p, "contactcenter")) && !IsHarness(p)
			},
			Forbid: func(_, to string) bool { return under(to, "pbx") && to != "pbx/callevent" },
		},
		{
			Name:   "pbx/callevent imports nothing of the module",
			From:   func(p string) bool { return p == "pbx/callevent" },
			Forbid: func(_, _ string) bool { return true },
		},
		{
			Name: "the softswitch imports no auth, rbac or audit: its admin API is pbx/pbxapi",
			From: func(p string) bool { return under(p, "pbx") && !under(p, "pbx/pbxapi") && !IsHarness(p) },
			Forbid: func(_, to string) bool {
				return slices.Contains([]string{"internal/auth", "internal/rbac", "internal/audit", "internal/adminapi", "internal/httpx/route"}, to)
			},
		},
		{
			Name:   "no package imports a test harness",
			From:   not(IsHarness),
			Forbid: func(_, to string) bool { return IsHarness(to) },
		},
		{
			Name: "only commands and the test harness import cmd/*",
			From: func(p string) bool { return !under(p, "cmd") && !IsHarness(p) },
			Forbid: func(_, to string) bool {
				return under(to, "cmd")
			},
		},
	}
}

// Check returns every import in g that a rule forbids, sorted.
func Check(g Graph, rules []Rule) []Violation {
	var out []Violation
	pkgs := make([]string, 0, len(g))
	for p := range g {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, r := range rules {
		for _, from := range pkgs {
			if !r.From(from) {
				continue
			}
			if !r.Indirect {
				for _, to := range g[from] {
					if r.Forbid(from, to) {
						out = append(out, Violation{Rule: r.Name, From: from, To: to})
					}
				}
				continue
			}
			for to, via := range reachable(g, from) {
				if r.Forbid(from, to) {
					out = append(out, Violation{Rule: r.Name, From: from, To: to, Via: via})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	return out
}

// reachable maps each package reachable from start to one import path
// leading to it (start first).
func reachable(g Graph, start string) map[string][]string {
	paths := map[string][]string{}
	queue := [][]string{{start}}
	seen := map[string]bool{start: true}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		for _, next := range g[path[len(path)-1]] {
			if seen[next] {
				continue
			}
			seen[next] = true
			p := append(slices.Clone(path), next)
			paths[next] = p
			queue = append(queue, p)
		}
	}
	return paths
}
