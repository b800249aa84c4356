package testpbx

import (
	"slices"
	"strings"
	"testing"
	"time"

	cticlient "github.com/yimen/yimen/cti/client"
)

// Scenario is one admin API request and what it must do, in the manner of
// PocketBase's tests.ApiScenario: the status, fragments the body must and
// must not hold, the audit entries it writes and the CTI events it fires.
// A table of them reads as the API's contract.
type Scenario struct {
	Name    string
	Method  string // default GET
	URL     string
	Token   string // bearer; "" sends none
	Body    any    // nil, a string sent as it is, or a value sent as JSON
	Headers map[string]string

	Status      int      // expected status; 0 means 200
	Contains    []string // fragments the body must contain
	NotContains []string // fragments it must not contain

	// Audit lists the entries ("action" or "action/outcome") the request
	// must add to the audit log; it needs Scenarios.Auditor.
	Audit []string
	// Events lists the CTI event types the request must fire; it needs
	// Scenarios.Events, a client subscribed to what the events concern.
	Events []string
}

// Scenarios runs scenarios against one PBX.
type Scenarios struct {
	Client  *Client
	Auditor string            // an auditor's token, to check Audit
	Events  *cticlient.Client // a subscribed CTI client, to check Events
}

// Run runs each scenario as a subtest, in order (a scenario may rely on
// what the one before it did).
func (s Scenarios) Run(t *testing.T, list ...Scenario) {
	t.Helper()
	for _, sc := range list {
		t.Run(sc.Name, func(t *testing.T) { s.run(t, sc) })
	}
}

func (s Scenarios) run(t *testing.T, sc Scenario) {
	t.Helper()
	method := sc.Method
	if method == "" {
		method = "GET"
	}
	want := sc.Status
	if want == 0 {
		want = 200
	}
	var since int64
	if len(sc.Audit) > 0 {
		if s.Auditor == "" {
			t.Fatal("scenario checks the audit log but Scenarios.Auditor is empty")
		}
		for _, r := range s.Client.Audit(s.Auditor, "") {
			since = max(since, r.ID)
		}
	}
	if len(sc.Events) > 0 {
		if s.Events == nil {
			t.Fatal("scenario checks CTI events but Scenarios.Events is nil")
		}
		drain(s.Events)
	}

	r := s.Client.Do(method, sc.URL, sc.Token, sc.Body, sc.Headers)
	if r.Code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, sc.URL, r.Code, want, strings.TrimSpace(string(r.Body)))
	}
	for _, f := range sc.Contains {
		if !strings.Contains(string(r.Body), f) {
			t.Errorf("%s %s: body lacks %q: %s", method, sc.URL, f, r.Body)
		}
	}
	for _, f := range sc.NotContains {
		if strings.Contains(string(r.Body), f) {
			t.Errorf("%s %s: body holds %q: %s", method, sc.URL, f, r.Body)
		}
	}
	if len(sc.Audit) > 0 {
		var got []string
		for _, row := range s.Client.Audit(s.Auditor, "") {
			if row.ID > since {
				got = append(got, row.Action, row.Action+"/"+row.Outcome)
			}
		}
		for _, a := range sc.Audit {
			if !slices.Contains(got, a) {
				t.Errorf("%s %s: no audit entry %s among the new ones %v", method, sc.URL, a, got)
			}
		}
	}
	for _, typ := range sc.Events {
		if !waitEventType(s.Events, typ, 5*time.Second) {
			t.Errorf("%s %s: no %s event within 5 s", method, sc.URL, typ)
		}
	}
}

// drain discards the events already received.
func drain(cl *cticlient.Client) {
	for {
		select {
		case <-cl.Events():
		default:
			return
		}
	}
}

func waitEventType(cl *cticlient.Client, typ string, within time.Duration) bool {
	deadline := time.After(within)
	for {
		select {
		case ev := <-cl.Events():
			if ev.Type == typ {
				return true
			}
		case <-deadline:
			return false
		}
	}
}
