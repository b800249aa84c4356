package trunk

import (
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Class is a calling class: what kind of number a call goes to, and so
// what an extension must be allowed to reach it.
type Class string

// The calling classes. Internal calls never reach a trunk; emergency
// numbers always route.
const (
	ClassEmergency     Class = "emergency"
	ClassLocal         Class = "local"
	ClassNational      Class = "national" // long distance, and 400/800
	ClassMobile        Class = "mobile"
	ClassPremium       Class = "premium" // 95xxx/96xxx, 1xx service numbers, other short codes
	ClassInternational Class = "international"
)

// Classes lists every class, in the order they are documented.
var classes = []Class{ClassEmergency, ClassLocal, ClassNational, ClassMobile, ClassPremium, ClassInternational}

// DefaultClasses are what an extension may call when its tenant says
// nothing: international and premium are blocked unless allowed.
func DefaultClasses() []Class { return []Class{ClassLocal, ClassNational, ClassMobile} }

// ParseClass reads a class name.
func ParseClass(s string) (Class, error) {
	for _, c := range classes {
		if string(c) == s {
			return c, nil
		}
	}
	names := make([]string, len(classes))
	for i, c := range classes {
		names[i] = string(c)
	}
	return "", fmt.Errorf("calling class %q (want one of %s): %w", s, strings.Join(names, ", "), errs.ErrInvalid)
}

// emergencyNumbers always route (police, fire, ambulance, traffic).
var emergencyNumbers = map[string]bool{"110": true, "119": true, "120": true, "122": true}

// IsEmergency reports whether num (normalised) is an emergency number.
func IsEmergency(num string) bool { return emergencyNumbers[num] }

// Classify says which class the normalised number num falls in, for a
// tenant whose own area code is area.
func Classify(num, area string) Class {
	switch {
	case emergencyNumbers[num]:
		return ClassEmergency
	case strings.HasPrefix(num, "+"):
		return ClassInternational
	case isMobile(num):
		return ClassMobile
	case isFreephone(num):
		return ClassNational
	case len(num) >= 10 && num[0] == '0':
		if area != "" && strings.HasPrefix(num, area) && len(num)-len(area) >= 7 {
			return ClassLocal
		}
		return ClassNational
	}
	// Short codes (95xxx bank lines, 1xx service numbers, 96xxx) and
	// whatever else is not a plain subscriber number cost more or are
	// unknown: premium, blocked unless allowed.
	return ClassPremium
}
