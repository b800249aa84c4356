package b2bua

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/yimen/yimen/pbx/callevent"
	"github.com/yimen/yimen/pbx/pbxstore"
)

// The names are stored in CDRs and sent to CTI clients: renaming one
// breaks reports and clients, so they are pinned here.
func TestDispositionAndCauseNames(t *testing.T) {
	wantD := []string{"answered", "no_answer", "busy", "cancelled", "failed", "not_found", "unavailable", "rejected_codec", "rejected", "agent_unavailable"}
	for i, want := range wantD {
		if got := Disposition(i + 1).String(); got != want {
			t.Errorf("Disposition(%d) = %q, want %q", i+1, got, want)
		}
	}
	if len(dispositionNames) != len(wantD)+1 {
		t.Errorf("%d dispositions, the test knows %d", len(dispositionNames)-1, len(wantD))
	}
	wantC := []string{"bye", "cancel", "rejected", "ring_timeout", "no_ack", "error", "shutdown", "max_duration", "media_timeout",
		"app_hangup", "cti_hangup", "transferred", "transfer_failed", "transfer_abandoned", "consult_abandoned", "consult_failed",
		"consult_cancelled", "conference_ended", "monitor_ended", "callee_no_answer", "agent_rejected", "agent_no_answer", "replace_failed",
		"session_expired", "agent_gone"}
	for i, want := range wantC {
		if got := Cause(i + 1).String(); got != want {
			t.Errorf("Cause(%d) = %q, want %q", i+1, got, want)
		}
	}
	if len(causeNames) != len(wantC)+1 {
		t.Errorf("%d causes, the test knows %d", len(causeNames)-1, len(wantC))
	}
	if Disposition(0).String() != "" || Cause(0).String() != "" || Cause(255).String() != "" {
		t.Error("an unset or unknown value has a name")
	}
	if consultEndCause(callevent.ConsultFailed) != CauseConsultFailed || consultEndCause(callevent.ConsultCancelled) != CauseConsultCancelled {
		t.Error("a consultation's end state maps to the wrong cause")
	}
}

// docs/cdr.md lists every value the B2BUA produces, and nothing else
// besides pbxstore's two crash-recovery values.
func TestCDRDocListsEveryValue(t *testing.T) {
	b, err := os.ReadFile("../../docs/cdr.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	section := func(heading string) map[string]bool {
		i := strings.Index(doc, heading)
		if i < 0 {
			t.Fatalf("docs/cdr.md has no %q section", heading)
		}
		s := doc[i+len(heading):]
		if j := strings.Index(s, "\n## "); j >= 0 {
			s = s[:j]
		}
		rows := map[string]bool{}
		for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(s, -1) {
			rows[m[1]] = true
		}
		return rows
	}
	check := func(what string, rows map[string]bool, names []string, extra string) {
		for _, n := range names[1:] {
			if !rows[n] {
				t.Errorf("docs/cdr.md does not document %s %q", what, n)
			}
			delete(rows, n)
		}
		delete(rows, extra)
		for n := range rows {
			t.Errorf("docs/cdr.md documents %s %q, which nothing produces", what, n)
		}
	}
	check("disposition", section("## `disposition`"), dispositionNames[:], pbxstore.DispositionInterrupted)
	check("cause", section("## `hangup_cause`"), causeNames[:], pbxstore.HangupCrash)
}
