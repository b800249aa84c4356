package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yimen/yimen/internal/errs"
)

// PasswordError says which rule a new password broke. It wraps errs.ErrInvalid.
type PasswordError struct{ Rule string }

func (e *PasswordError) Error() string { return "auth: password rejected: " + e.Rule }

// Unwrap makes errors.Is(err, errs.ErrInvalid) true.
func (e *PasswordError) Unwrap() error { return errs.ErrInvalid }

// Password rules, as PasswordError.Rule values.
const (
	RuleTooShort  = "too short"
	RuleClasses   = "needs 3 of: lower case, upper case, digits, symbols"
	RuleUserName  = "must not contain the user name"
	RuleReused    = "used recently"
	RuleTooLong   = "too long"
	RuleSameAsOld = "same as the current password"
)

const maxPasswordLen = 256

// CheckPassword applies the composition rules (not history) to a candidate
// password for user name, with minLen characters at least.
func CheckPassword(name, password string, minLen int) error {
	n := utf8.RuneCountInString(password)
	if n < minLen {
		return &PasswordError{Rule: RuleTooShort}
	}
	if len(password) > maxPasswordLen {
		return &PasswordError{Rule: RuleTooLong}
	}
	var lower, upper, digit, other int
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	if lower+upper+digit+other < 3 {
		return &PasswordError{Rule: RuleClasses}
	}
	if name != "" {
		p, u := strings.ToLower(password), strings.ToLower(name)
		if strings.Contains(p, u) || (len(u) >= 3 && strings.Contains(p, reverse(u))) {
			return &PasswordError{Rule: RuleUserName}
		}
	}
	return nil
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// checkHistory refuses a password matching any of the given hashes.
func checkHistory(password string, hashes []string) error {
	for _, h := range hashes {
		if VerifyPassword(h, password) {
			return &PasswordError{Rule: RuleReused}
		}
	}
	return nil
}
