package oaapi

import (
	"encoding/json"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/httpx/route"
)

// TestOpenAPIMatchesTheRoutes holds /api/openapi.json to the route table
// the OA mounts (its own and the platform admin API's): every route is
// documented with its path parameters, and nothing documented is missing.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	admin := adminapi.New(adminapi.Deps{})
	api := New(Deps{Admin: admin, PlatformRoutes: admin.Routes()})
	routes := append(api.Routes(), admin.Routes()...)
	if err := route.Check(routes); err != nil {
		t.Fatal(err)
	}
	mounted := map[string]bool{}
	for _, rt := range routes {
		mounted[rt.Key()] = true
		if _, ok := operations[rt.Key()]; !ok {
			t.Errorf("%s is mounted but not in the OpenAPI document", rt.Key())
		}
	}
	for key := range operations {
		if !mounted[key] {
			t.Errorf("%s is documented but no route serves it", key)
		}
	}
	w := httptest.NewRecorder()
	api.openAPI(w, httptest.NewRequest("GET", "/api/openapi.json", nil))
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %v %q", err, w.Body.String()[:min(200, w.Body.Len())])
	}
	var served []string
	for p, methods := range doc.Paths {
		for m, raw := range methods {
			served = append(served, strings.ToUpper(m)+" "+p)
			var o struct {
				Summary    string `json:"summary"`
				Parameters []struct {
					Name, In string
				} `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &o); err != nil || o.Summary == "" || o.Summary == "(undocumented)" {
				t.Errorf("%s %s: %v %+v", m, p, err, o)
			}
			for _, seg := range strings.Split(p, "/") {
				if strings.HasPrefix(seg, "{") {
					name := strings.Trim(seg, "{}")
					found := false
					for _, prm := range o.Parameters {
						found = found || (prm.Name == name && prm.In == "path")
					}
					if !found {
						t.Errorf("%s %s: path parameter %s undocumented", m, p, name)
					}
				}
			}
		}
	}
	if len(served) != len(routes) {
		sort.Strings(served)
		t.Errorf("the document has %d operations for %d routes: %v", len(served), len(routes), served)
	}
	// The trees' schemas end (a department holds departments).
	if !strings.Contains(w.Body.String(), `"children"`) {
		t.Error("the department tree's schema is missing")
	}
}
