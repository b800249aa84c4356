package oa

import "strings"

// NumberKind says what a caller number is.
type NumberKind string

// Kinds of caller numbers.
const (
	NumberMobile    NumberKind = "mobile"    // 1[3-9]x xxxx xxxx
	NumberLandline  NumberKind = "landline"  // 0 + area code + local number
	NumberService   NumberKind = "service"   // 400/800 numbers, short codes
	NumberExtension NumberKind = "extension" // an internal extension
	NumberForeign   NumberKind = "foreign"   // +CC other than +86
	NumberAnonymous NumberKind = "anonymous" // withheld or missing
)

// anonymous are the caller ids a withheld number arrives as.
var anonymous = map[string]bool{"": true, "anonymous": true, "unknown": true, "restricted": true, "private": true, "unavailable": true}

// NormaliseCaller turns a caller number as the network delivers it into the
// one national form customers' numbers are indexed under, so 8613812345678,
// +86 138-1234-5678 and 013812345678 (a mobile dialled with the trunk
// prefix) find the same customer, as do +86 10 6552 9988 and 01065529988.
// localArea (e.g. "010") completes a landline that arrives without its area
// code. Anonymous callers come back as "" with NumberAnonymous.
func NormaliseCaller(raw, localArea string) (string, NumberKind) {
	s := strings.TrimSpace(raw)
	if at := strings.IndexByte(s, '@'); at >= 0 { // a SIP URI's user part
		s = strings.TrimPrefix(strings.TrimPrefix(s[:at], "sip:"), "sips:")
	}
	if anonymous[strings.ToLower(s)] {
		return "", NumberAnonymous
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && b.Len() == 0:
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t':
		default:
			return "", NumberAnonymous // letters: nothing a customer could be found by
		}
	}
	d := b.String()
	if d == "" || strings.Trim(d, "0+") == "" {
		return "", NumberAnonymous
	}
	intl := false
	switch {
	case strings.HasPrefix(d, "+86"):
		d, intl = d[3:], true
	case strings.HasPrefix(d, "0086"):
		d, intl = d[4:], true
	case strings.HasPrefix(d, "+"):
		return d, NumberForeign
	case strings.HasPrefix(d, "00"):
		return "+" + d[2:], NumberForeign
	case len(d) == 13 && strings.HasPrefix(d, "861"):
		d = d[2:]
	}
	if intl {
		d = strings.TrimLeft(d, "0") // +86 (0)10 …
		if d == "" {
			return "", NumberAnonymous
		}
		if !isMobile(d) && len(d) >= 9 && len(d) <= 11 {
			d = "0" + d // +86 10 6552 9988 is dialled 010 6552 9988 at home
		}
	}
	switch {
	case isMobile(d):
		return d, NumberMobile
	case len(d) == 12 && d[0] == '0' && isMobile(d[1:]):
		return d[1:], NumberMobile
	case (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800")) && len(d) == 10:
		return d, NumberService
	case d[0] == '0' && len(d) >= 10 && len(d) <= 12:
		return d, NumberLandline
	case len(d) == 7 || len(d) == 8:
		if localArea != "" && d[0] != '0' && d[0] != '1' {
			return localArea + d, NumberLandline
		}
		return d, NumberService
	case len(d) <= 6:
		return d, NumberExtension
	}
	return d, NumberService
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}
