package admin_test

import (
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/tests/testpbx"
)

// twoTenants adds tenant "other" (with its own administrators) and agent a1
// on extension 1001 of demo.
func twoTenants(c *config.Config) {
	c.Tenants[0].Domains = []string{testpbx.Host(c), "demo.test"}
	c.Tenants[0].Agents = []config.Agent{{ID: "a1", Name: "Agent One", Extension: "1001"}}
	// Each tenant has a trunk (to a carrier nobody runs: down), so the
	// listings show whose is whose.
	c.Tenants[0].Trunks = []config.Trunk{{Name: "demo-carrier", Auth: "ip", Proxy: "127.0.113.200:5060"}}
	c.Tenants = append(c.Tenants, config.Tenant{Name: "other", Domains: []string{"other.test"}, Extensions: []string{"2001-2002"},
		TenantTrunks: config.TenantTrunks{Trunks: []config.Trunk{{Name: "other-carrier", Auth: "ip", Proxy: "127.0.113.201:5060"}}}})
	c.Admin.TenantAdmins = true
}
