package browser

import (
	"net/http"
	"testing"

	"github.com/yimen/yimen/tests/testpbx"
)

// The wallboard layouts over the admin API: the system administrator saves
// one per role (validated), a supervisor reads its role's and may not save.
func TestWallboardLayoutsPerRole(t *testing.T) {
	p := floor(t)
	pass := account(t, p, "banzhang", "supervisor", []string{"hotline"}, "")
	c := testpbx.NewClient(t, p, "")
	sys := c.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sup := c.Login("demo", "banzhang", pass)
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	good := map[string]any{"tiles": []string{"waiting", "sl", "asa"}, "paging": true, "page_seconds": 20,
		"thresholds": map[string]any{"waiting_warn": 2, "waiting_crit": 5, "longest_warn_s": 20, "longest_crit_s": 45,
			"sl_warn": 0.85, "sl_crit": 0.7, "not_ready_warn_s": 600}}
	bad := map[string]any{"tiles": []string{"waiting", "weather"}, "page_seconds": 20, "thresholds": good["thresholds"]}
	const u = "/api/v1/wallboard/layouts/"
	testpbx.Scenarios{Client: c, Auditor: aud}.Run(t,
		testpbx.Scenario{Name: "none saved yet", URL: u + "supervisor", Token: sup, Status: http.StatusNotFound},
		testpbx.Scenario{Name: "anonymous", URL: u + "supervisor", Status: http.StatusUnauthorized},
		testpbx.Scenario{Name: "supervisor may not save", Method: "PUT", URL: u + "supervisor", Token: sup, Body: good, Status: http.StatusForbidden},
		testpbx.Scenario{Name: "unknown tile", Method: "PUT", URL: u + "supervisor", Token: sys, Body: bad, Status: http.StatusBadRequest,
			Contains: []string{`unknown \"weather\"`}},
		testpbx.Scenario{Name: "unknown role", Method: "PUT", URL: u + "janitor", Token: sys, Body: good, Status: http.StatusBadRequest},
		testpbx.Scenario{Name: "sysadmin saves", Method: "PUT", URL: u + "supervisor", Token: sys, Body: good, Status: http.StatusNoContent,
			Audit: []string{"wallboard.layout.write/ok"}},
		testpbx.Scenario{Name: "supervisor reads", URL: u + "supervisor", Token: sup,
			Contains: []string{`"tiles":["waiting","sl","asa"]`, `"page_seconds":20`, `"sl_warn":0.85`}},
		testpbx.Scenario{Name: "other role still unset", URL: u + "wallboard", Token: sup, Status: http.StatusNotFound},
	)
}
