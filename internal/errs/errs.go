// Package errs holds the handful of error kinds every package wraps with %w.
// Only the HTTP and SIP edges map them to status codes.
package errs

import "errors"

var (
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with the current state.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed or fails validation.
	ErrInvalid = errors.New("invalid")
	// ErrForbidden: the caller may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable: a dependency or resource is exhausted or down.
	ErrUnavailable = errors.New("unavailable")
)
