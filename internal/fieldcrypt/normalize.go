package fieldcrypt

import "strings"

// Normalize maps equal-meaning inputs to one byte string before blind
// indexing: anything that looks like a phone number goes through
// NormalizePhone; other values are trimmed and ASCII-lower-cased (so an ID
// number's check letter x/X matches).
func Normalize(value []byte) []byte {
	s := strings.TrimSpace(string(value))
	if looksLikePhone(s) {
		return []byte(NormalizePhone(s))
	}
	return []byte(strings.ToLower(s))
}

// NormalizePhone strips separators (space, '-', '.', '(', ')') and the
// mainland country code (+86, 0086, or 86 before an 11-digit mobile number).
// Other international prefixes keep their '+'.
func NormalizePhone(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == '+' && len(b) == 0:
			b = append(b, c)
		}
	}
	d := string(b)
	// Strip until nothing more strips, so NormalizePhone is idempotent
	// (an index computed from its output matches one from its input).
	for {
		switch {
		case strings.HasPrefix(d, "+86"):
			d = d[3:]
		case strings.HasPrefix(d, "0086"):
			d = d[4:]
		case len(d) == 13 && strings.HasPrefix(d, "861"):
			d = d[2:]
		default:
			return d
		}
	}
}

func looksLikePhone(s string) bool {
	digits := 0
	seenOther := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			seenOther = true
		case c == '+':
			if seenOther {
				return false
			}
			seenOther = true
		case c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')':
			// separators may precede the '+': "(+86) 138..."
		default:
			return false
		}
	}
	return digits > 0
}
