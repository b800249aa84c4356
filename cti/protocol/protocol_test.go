package protocol_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/yimen/yimen/cti/protocol"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		in, id, code string
	}{
		{`{"v":1,"type":"ping","id":"r1"}`, "r1", ""},
		{`{"v":1,"type":"agent.notready","id":"r2","data":{"reason":"lunch"}}`, "r2", ""},
		{`not json`, "", protocol.CodeBadRequest},
		{`{"v":1,"type":"ping","id":"r3"`, "", protocol.CodeBadRequest},
		{`{"v":1,"type":"ping","id":7}`, "", protocol.CodeBadRequest},
		{`{"v":"1","type":"ping","id":"r4"}`, "r4", protocol.CodeBadRequest},
		{`{"v":2,"type":"ping","id":"r5"}`, "r5", protocol.CodeBadRequest},
		{`{"v":1,"id":"r6"}`, "r6", protocol.CodeBadRequest},
		{`{"v":1,"type":"ping"}`, "", protocol.CodeBadRequest},
		{`{"v":1,"type":"call.teleport","id":"r7"}`, "r7", protocol.CodeUnknownType},
		{`{"v":1,"type":"agent.notready","id":"r8","data":{}}`, "r8", protocol.CodeBadRequest},
		{`{"v":1,"type":"agent.notready","id":"r9","data":[1]}`, "r9", protocol.CodeBadRequest},
		{`{"v":1,"type":"call.dial","id":"r10","data":{"to":"rm -rf"}}`, "r10", protocol.CodeBadRequest},
		{`{"v":1,"type":"call.transfer","id":"r11","data":{"call":"c1","to":"1002","mode":"sideways"}}`, "r11", protocol.CodeBadRequest},
		{`{"v":1,"type":"subscribe","id":"r12","data":{"topics":["agent:"]}}`, "r12", protocol.CodeBadRequest},
		{`{"v":1,"type":"subscribe","id":"r13","data":{"topics":"tenant"}}`, "r13", protocol.CodeBadRequest},
		{`{"v":1,"type":"supervisor.force_state","id":"r14","data":{"agent":"a1","state":"not_ready"}}`, "r14", protocol.CodeBadRequest},
		{`{"v":1,"type":"call.dtmf","id":"r15","data":{"call":"c1","digits":"12#"}}`, "r15", ""},
		{`{"v":1,"type":"ping","id":"` + strings.Repeat("x", 65) + `"}`, "", protocol.CodeBadRequest},
	}
	for _, c := range cases {
		env, _, err := protocol.ParseCommand([]byte(c.in))
		code := ""
		if err != nil {
			code = err.Code
		}
		if code != c.code || env.ID != c.id {
			t.Errorf("%s: code %q id %q (%v), want code %q id %q", c.in, code, env.ID, err, c.code, c.id)
		}
	}
}

func TestTopics(t *testing.T) {
	for _, s := range []string{"tenant", "agent:a1", "queue:hotline"} {
		tp, err := protocol.ParseTopic(s)
		if err != nil || tp.String() != s {
			t.Errorf("ParseTopic(%q) = %v, %v", s, tp, err)
		}
	}
	for _, s := range []string{"", "agent", "agent:", "tenant:x", "queue:a b", "call:c1"} {
		if _, err := protocol.ParseTopic(s); err == nil {
			t.Errorf("ParseTopic(%q) accepted", s)
		}
	}
}

func TestDecodeMessage(t *testing.T) {
	if _, err := protocol.DecodeMessage([]byte(`{"v":1,"type":"agent.state","seq":3,"data":{"agent":"a1"}}`)); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{`{}`, `{"v":2,"type":"x"}`, `{"v":1}`, `[]`, ``} {
		if _, err := protocol.DecodeMessage([]byte(in)); err == nil {
			t.Errorf("DecodeMessage(%q) accepted", in)
		}
	}
}

// FuzzParseCommand: nothing panics; an accepted command re-encodes to one
// that is accepted the same way.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"ping","id":"r1"}`,
		`{"v":1,"type":"subscribe","id":"s","data":{"topics":["tenant","agent:a1"],"since":42,"epoch":"e1"}}`,
		`{"v":1,"type":"agent.notready","id":"r2","data":{"reason":"lunch"}}`,
		`{"v":1,"type":"call.dial","id":"d","data":{"agent":"a1","to":"+8613800138000","caller_id":"95110"}}`,
		`{"v":1,"type":"call.transfer","id":"t","data":{"call":"c1","to":"1002","mode":"attended"}}`,
		`{"v":1,"type":"call.dtmf","id":"x","data":{"call":"c1","digits":"12#"}}`,
		`{"v":1,"type":"supervisor.force_state","id":"f","data":{"agent":"a1","state":"not_ready","reason":"meeting"}}`,
		`{"v":1,"type":"screenpop","id":"p","data":{"agent":"a1","url":"https://oa/c/1","fields":{"name":"张三"}}}`,
		`{"v":1,"type":"auth","id":"a","data":{"token":"t"}}`,
		`{"v":1,"type":"nope","id":"n"}`, `{"id":"x"`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, v, perr := protocol.ParseCommand(raw)
		if perr != nil {
			if perr.Code == "" || perr.Message == "" {
				t.Fatalf("error without code or message: %+v", perr)
			}
			if len(env.ID) > protocol.MaxIDLen {
				t.Fatalf("error names an id of %d bytes", len(env.ID))
			}
			return
		}
		if env.V != 1 || env.Type == "" || env.ID == "" || v == nil {
			t.Fatalf("accepted %+v", env)
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(protocol.Envelope{V: 1, Type: env.Type, ID: env.ID, Data: data})
		env2, _, perr2 := protocol.ParseCommand(again)
		if perr2 != nil || env2.Type != env.Type || env2.ID != env.ID {
			t.Fatalf("re-encoded %s: %v", again, perr2)
		}
	})
}

// FuzzDecodeMessage: the client's decoder never panics and accepts only
// versioned, typed envelopes.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"hello","data":{"epoch":"e","tenant":"demo","roles":["agent"],"seq":0}}`,
		`{"v":1,"type":"agent.state","id":"e-1","seq":1,"ts":"2026-03-02T09:00:00.000Z","tenant":"demo","data":{"agent":"a1","state":"ready"}}`,
		`{"v":1,"type":"error","id":"r1","data":{"code":"bad_request","message":"x"}}`,
		`{"v":1}`, `{}`, `1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := protocol.DecodeMessage(raw)
		if err != nil {
			return
		}
		if env.V != 1 || env.Type == "" {
			t.Fatalf("accepted %+v", env)
		}
		var anyData map[string]any
		_ = env.Decode(&anyData)
		_, _ = env.Time()
	})
}

// FuzzParseTopic: accepted topics print back to themselves.
func FuzzParseTopic(f *testing.F) {
	for _, s := range []string{"tenant", "agent:a1", "queue:hotline", "queue:", "agent:a:b", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := protocol.ParseTopic(s)
		if err == nil && tp.String() != s {
			t.Fatalf("%q → %q", s, tp.String())
		}
	})
}
