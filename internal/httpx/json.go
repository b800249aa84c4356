package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/yimen/yimen/internal/errs"
)

// DefaultBodyLimit bounds a request body when a route names no limit.
const DefaultBodyLimit = 64 << 10

// ErrTooLarge is a request body over its route's limit; it answers 413.
var ErrTooLarge = fmt.Errorf("request body too large: %w", errs.ErrInvalid)

// WriteJSON sends v as a JSON reply with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError sends {"error": msg} with status code.
func WriteError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, map[string]string{"error": msg})
}

// DecodeJSON reads one JSON value of at most limit bytes (0: DefaultBodyLimit)
// into v, refusing fields v does not have. Its errors wrap errs.ErrInvalid
// (ErrTooLarge for an oversized body) and say only what was wrong with the
// input, so they may be shown to the client.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return bodyError{fmt.Sprintf("request body too large (limit %d bytes)", tooBig.Limit), ErrTooLarge}
		}
		return bodyError{"invalid JSON body: " + err.Error(), errs.ErrInvalid}
	}
	return nil
}

// bodyError is a refused body: its text is for the client, its kind for Status.
type bodyError struct {
	msg  string
	kind error
}

func (e bodyError) Error() string { return e.msg }
func (e bodyError) Unwrap() error { return e.kind }

// ReadJSON is DecodeJSON that answers a refused body itself (400, or 413
// when too large); false means the reply is sent and the handler returns.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := DecodeJSON(w, r, 0, v)
	if err == nil {
		return true
	}
	WriteError(w, Status(err), err.Error())
	return false
}
