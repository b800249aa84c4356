package oa

import (
	"errors"
	"sort"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// FieldErrors are the problems with a request, by field: the HTTP edge
// answers 400 with them so a form can show each beside its field.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + f[k])
	}
	return b.String()
}

// Unwrap makes FieldErrors an errs.ErrInvalid.
func (f FieldErrors) Unwrap() error { return errs.ErrInvalid }

// err is nil when there is no problem.
func (f FieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// AsFieldErrors returns the field problems inside err, if any.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var f FieldErrors
	ok := errors.As(err, &f)
	return f, ok
}
