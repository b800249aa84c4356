package recorder

import "github.com/yimen/yimen/internal/config"

// Policy says whether a call is recorded.
type Policy string

// Policies.
const (
	PolicyAlways   Policy = "always"    // from answer to hang-up
	PolicyNever    Policy = "never"     // not at all
	PolicyOnDemand Policy = "on_demand" // when asked (Start), until asked to stop or hang-up
)

// policies resolves the policy of a call from the configuration.
type policies struct {
	def   Policy
	exact map[[2]string]Policy // {tenant, extension}; tenant "" matches any
}

func newPolicies(c config.Recording) policies {
	p := policies{def: Policy(c.Policy), exact: map[[2]string]Policy{}}
	if p.def == "" {
		p.def = PolicyNever
	}
	for _, o := range c.Overrides {
		p.exact[[2]string{o.Tenant, o.Extension}] = Policy(o.Policy)
	}
	return p
}

// forCall picks, most specific first: the callee's extension in the
// tenant, the callee's extension anywhere, the same two for the caller,
// the tenant's own setting, then the default. The callee comes first
// because on a hotline the callee is the agent whose policy matters.
func (p policies) forCall(tenant, caller, callee string) Policy {
	for _, k := range [...][2]string{{tenant, callee}, {"", callee}, {tenant, caller}, {"", caller}, {tenant, ""}} {
		if k[1] == "" && k[0] == "" {
			continue
		}
		if pol, ok := p.exact[k]; ok {
			return pol
		}
	}
	return p.def
}
