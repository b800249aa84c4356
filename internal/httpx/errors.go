package httpx

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/yimen/yimen/internal/errs"
)

// Status maps an error kind to its HTTP status: the only place that does.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errs.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Fail answers a failed request: a known kind with its status and the
// error's text (it names what the client got wrong); anything else with 500
// and public, which must not leak internals, after logging err once with
// the request's method and path.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, public string, err error) {
	code := Status(err)
	if code >= http.StatusInternalServerError {
		if log != nil {
			log.LogAttrs(r.Context(), slog.LevelError, "http request failed", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", code), slog.String("what", public), slog.Any("err", err))
		}
		WriteError(w, code, public)
		return
	}
	WriteError(w, code, err.Error())
}
