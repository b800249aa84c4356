package protocol_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yimen/yimen/cti/protocol"
)

// TestEveryEventHasADataType reads the package's Event* constants from its
// source, so an event added without a data type in EventData fails here
// (and then in the cti package's documentation test).
func TestEveryEventHasADataType(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	data := protocol.EventData()
	n := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Event") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						continue
					}
					typ, _ := strconv.Unquote(lit.Value)
					n++
					if _, ok := data[typ]; !ok {
						t.Errorf("%s (%q) has no data type in EventData", name.Name, typ)
					}
				}
			}
		}
	}
	if n != len(data) {
		t.Errorf("%d Event constants, %d entries in EventData", n, len(data))
	}
}

// TestFormerlyUntypedEventsKeepTheirBytes: recording.ready,
// voicemail.recorded and call.survey were sent as maps; their types must
// encode to the very same bytes.
func TestFormerlyUntypedEventsKeepTheirBytes(t *testing.T) {
	score := 4
	cases := []struct {
		name     string
		old, now any
	}{
		{"recording.ready",
			map[string]any{"id": "c1", "call_id": "c1", "agent": "a1", "queue": "hotline", "caller": "138****8000",
				"duration_s": 61.52, "size": int64(984420), "sm3": "ab12", "state": "complete", "url": "/api/v1/recordings/c1/audio"},
			protocol.RecordingReady{ID: "c1", Call: "c1", Agent: "a1", Queue: "hotline", Caller: "138****8000",
				DurationS: 61.52, Size: 984420, SM3: "ab12", State: "complete", URL: "/api/v1/recordings/c1/audio"}},
		{"recording.ready, no agent, escaped",
			map[string]any{"id": "c2", "call_id": "c2", "agent": "", "queue": "", "caller": "<&>",
				"duration_s": 0.0, "size": int64(0), "sm3": "", "state": "failed", "url": "/api/v1/recordings/c2/audio"},
			protocol.RecordingReady{ID: "c2", Call: "c2", Caller: "<&>", State: "failed", URL: "/api/v1/recordings/c2/audio"}},
		{"voicemail.recorded",
			map[string]any{"id": "vm1", "call_id": "c3", "mailbox": "800", "caller": "1001", "duration_s": 3.2,
				"vars": map[string]string{"lang": "zh", "menu": "9"}},
			protocol.VoicemailRecorded{ID: "vm1", Call: "c3", Mailbox: "800", Caller: "1001", DurationS: 3.2,
				Vars: map[string]string{"lang": "zh", "menu": "9"}}},
		{"voicemail.recorded, no vars",
			map[string]any{"id": "vm2", "call_id": "c4", "mailbox": "800", "caller": "1001", "duration_s": 1.0, "vars": map[string]string(nil)},
			protocol.VoicemailRecorded{ID: "vm2", Call: "c4", Mailbox: "800", Caller: "1001", DurationS: 1}},
		{"call.survey",
			map[string]any{"call_id": "c5", "flow": "survey", "answered": true, "score": any(4)},
			protocol.CallSurvey{Call: "c5", Flow: "survey", Answered: true, Score: &score}},
		{"call.survey, unanswered",
			map[string]any{"call_id": "c6", "flow": "survey", "answered": false, "score": nil},
			protocol.CallSurvey{Call: "c6", Flow: "survey"}},
	}
	for _, c := range cases {
		old, err1 := json.Marshal(c.old)
		now, err2 := json.Marshal(c.now)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if string(old) != string(now) {
			t.Errorf("%s:\nwas %s\nnow %s", c.name, old, now)
		}
	}
}
