package trunk

import "strings"

// Anonymous is the one form of a withheld or unusable caller number.
const Anonymous = "anonymous"

// maxDigits bounds a number: E.164 allows 15 digits, national forms with
// an international prefix a few more.
const maxDigits = 20

// Normalize turns a caller or dialled number, in any of the forms carriers
// and people use in China, into the one form the PBX keeps everywhere
// (CDR, IVR, CTI, OA look-ups):
//
//   - mobile numbers as their 11 digits (13812345678), whether they came
//     as +8613812345678, 8613812345678, 008613812345678 or 013812345678;
//   - fixed lines as 0 + area code + subscriber (01058001234); a bare
//     subscriber number (7 or 8 digits) takes area, the trunk's area code;
//   - 400/800 numbers as their 10 digits, short service numbers as dialled;
//   - numbers abroad in E.164 with + (+14155550100, also from 00 1 …);
//   - withheld, anonymous, empty or malformed callers as Anonymous.
//
// ok is false when raw was malformed (not merely withheld), so the edge can
// log it. Normalize is idempotent: a normalised number stays as it is.
func Normalize(raw, area string) (num string, ok bool) {
	s := strings.TrimSpace(raw)
	if i := strings.IndexByte(s, ';'); i >= 0 { // ;phone-context=… and the like
		s = s[:i]
	}
	if withheld(s) {
		return Anonymous, true
	}
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	d, ok := digitsOf(s)
	if !ok || d == "" || len(d) > maxDigits {
		return Anonymous, false
	}
	if !plus && strings.HasPrefix(d, "00") {
		plus, d = true, d[2:]
	}
	if plus {
		if rest, cn := strings.CutPrefix(d, "86"); cn {
			return fromChina(rest)
		}
		if len(d) < 4 || len(d) > 15 || d[0] == '0' {
			return Anonymous, false
		}
		return "+" + d, true
	}
	// 86 without +: only where what follows is a whole national number,
	// so that a local number that happens to start with 86 is left alone.
	if rest, cn := strings.CutPrefix(d, "86"); cn && len(d) >= 12 {
		return fromChina(rest)
	}
	return national(d, area), true
}

// fromChina reads the national part after a +86 or 86 prefix, where the
// trunk prefix 0 is dropped (though some senders keep it).
func fromChina(rest string) (string, bool) {
	rest = strings.TrimPrefix(rest, "0")
	switch {
	case isMobile(rest), isFreephone(rest):
		return rest, true
	case len(rest) >= 9 && len(rest) <= 11 && rest[0] != '0':
		return "0" + rest, true
	case len(rest) >= 3 && len(rest) <= 6: // a short service number
		return rest, true
	}
	return Anonymous, false
}

// national reads a number written the national way.
func national(d, area string) string {
	switch {
	case len(d) == 12 && d[0] == '0' && isMobile(d[1:]): // 0 before a mobile (out-of-area)
		return d[1:]
	case d[0] == '0', isMobile(d), isFreephone(d):
		return d
	case (len(d) == 7 || len(d) == 8) && d[0] >= '2' && area != "":
		return area + d
	}
	return d
}

// isMobile: 11 digits, 13x to 19x.
func isMobile(d string) bool { return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' }

// isFreephone: 400 (shared cost) and 800 (free) numbers.
func isFreephone(d string) bool {
	return len(d) == 10 && (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800"))
}

// withheld names the ways a carrier says there is no number to show.
func withheld(s string) bool {
	switch strings.ToLower(s) {
	case "", "anonymous", "unknown", "restricted", "private", "withheld", "unavailable", "anonymous.invalid":
		return true
	}
	return false
}

// digitsOf drops the separators people write numbers with; any other
// character makes the number malformed.
func digitsOf(s string) (string, bool) {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			clean = false
			break
		}
	}
	if clean {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return "", false
		}
	}
	return b.String(), true
}
