package config

import (
	"strings"
	"testing"
)

func TestUIEmbedOriginsMustBeOrigins(t *testing.T) {
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://crm.example.org", true},
		{"http://127.0.0.1:8081", true},
		{"crm.example.org", false},
		{"https://crm.example.org/page", false},
		{"javascript:alert(1)", false},
		{"https://user@crm.example.org", false},
		{"*", false},
	} {
		c := Defaults()
		c.HTTP.UIEmbedOrigins = []string{tc.origin}
		err := c.Validate()
		named := err != nil && strings.Contains(err.Error(), "http.ui_embed_origins[0]")
		if named == tc.ok {
			t.Errorf("%q: %v", tc.origin, err)
		}
	}
}
