package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Version is the envelope version this package speaks.
const Version = 1

// TimeFormat is how timestamps are written: RFC 3339 with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Limits on envelope fields a client sends.
const (
	MaxTypeLen = 64
	MaxIDLen   = 64
)

// Envelope is every message in both directions. Events carry a seq that
// increases by one per tenant; replies carry the id of their request.
type Envelope struct {
	V      int             `json:"v"`
	Type   string          `json:"type"`
	ID     string          `json:"id,omitempty"`
	Seq    uint64          `json:"seq,omitempty"`
	TS     string          `json:"ts,omitempty"`
	Tenant string          `json:"tenant,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// Time parses the envelope's timestamp.
func (e Envelope) Time() (time.Time, error) { return time.Parse(TimeFormat, e.TS) }

// Decode unmarshals the envelope's data into v; absent data leaves v as is.
func (e Envelope) Decode(v any) error {
	if len(e.Data) == 0 || bytes.Equal(e.Data, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return &Error{Code: CodeBadRequest, Message: "data: " + err.Error()}
	}
	return nil
}

// Timestamp formats t for an envelope.
func Timestamp(t time.Time) string { return t.Format(TimeFormat) }

// DecodeRequest parses a message from a client: one JSON object with
// v = 1, a known-length type and id, and data that is an object if present.
// On failure the returned envelope still carries whatever id could be read,
// so the error reply can name the request.
func DecodeRequest(raw []byte) (Envelope, *Error) {
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		// Salvage the id for the reply if the message is an object at all.
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(raw, &probe)
		var id string
		if json.Unmarshal(probe.ID, &id) == nil && len(id) <= MaxIDLen {
			env.ID = id
		} else {
			env.ID = ""
		}
		return Envelope{ID: env.ID}, &Error{Code: CodeBadRequest, Message: "not a JSON envelope: " + shorten(err.Error())}
	}
	if len(env.ID) > MaxIDLen {
		return Envelope{}, &Error{Code: CodeBadRequest, Message: fmt.Sprintf("id longer than %d bytes", MaxIDLen)}
	}
	switch {
	case env.V != Version:
		return env, &Error{Code: CodeBadRequest, Message: fmt.Sprintf("v must be %d", Version)}
	case env.Type == "":
		return env, &Error{Code: CodeBadRequest, Message: "type is required"}
	case len(env.Type) > MaxTypeLen:
		return env, &Error{Code: CodeBadRequest, Message: fmt.Sprintf("type longer than %d bytes", MaxTypeLen)}
	case env.ID == "":
		return env, &Error{Code: CodeBadRequest, Message: "id is required (the reply carries it)"}
	}
	if d := bytes.TrimSpace(env.Data); len(d) > 0 && d[0] != '{' && !bytes.Equal(d, []byte("null")) {
		return env, &Error{Code: CodeBadRequest, Message: "data must be an object"}
	}
	return env, nil
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// DecodeMessage parses a message from the hub (the client side): one JSON
// object with v = 1 and a type.
func DecodeMessage(raw []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Envelope{}, fmt.Errorf("cti: not a JSON envelope: %s", shorten(err.Error()))
	}
	if env.V != Version {
		return Envelope{}, fmt.Errorf("cti: envelope version %d, want %d", env.V, Version)
	}
	if env.Type == "" {
		return Envelope{}, fmt.Errorf("cti: envelope without a type")
	}
	return env, nil
}
