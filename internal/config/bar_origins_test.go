package config

import (
	"strings"
	"testing"
)

// The origins on either side of the agent bar's knowledge suggestions
// (the PBX's http.ui_connect_origins, the OA's sso.bar_origins) must be
// bare origins: a path, a user or a wildcard is refused by name.
func TestBarOriginsMustBeOrigins(t *testing.T) {
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://oa.example.org", true},
		{"http://127.0.0.1:8090", true},
		{"oa.example.org", false},
		{"https://oa.example.org/", false},
		{"https://user@oa.example.org", false},
		{"*", false},
	} {
		c := Defaults()
		c.HTTP.UIConnectOrigins = []string{tc.origin}
		err := c.Validate()
		if named := err != nil && strings.Contains(err.Error(), "http.ui_connect_origins[0]"); named == tc.ok {
			t.Errorf("pbx %q: %v", tc.origin, err)
		}
		o := OADefaults()
		o.Tenants = []string{"demo"}
		o.SSO.BarOrigins = []string{tc.origin}
		err = o.Validate()
		if named := err != nil && strings.Contains(err.Error(), "sso.bar_origins[0]"); named == tc.ok {
			t.Errorf("oa %q: %v", tc.origin, err)
		}
	}
}
