package fieldcrypt

import "strings"

// Mask hides the middle of a phone number for logs: 13812345678 becomes
// 138****5678 (separators and +86 are dropped first). Numbers of 7 to 10
// digits keep only their last 4 digits visible; shorter ones (extensions,
// service numbers such as 12345) are not personal and are returned as
// digits. Input that is not a phone number is masked by MaskText.
func Mask(phone string) string {
	if !looksLikePhone(phone) {
		return MaskText(phone)
	}
	d := NormalizePhone(phone)
	plus := strings.HasPrefix(d, "+")
	if plus {
		d = d[1:]
	}
	var out string
	switch n := len(d); {
	case n >= 11:
		out = d[:3] + "****" + d[n-4:]
	case n >= 7:
		out = "****" + d[n-4:]
	default:
		out = d
	}
	if plus {
		out = "+" + out
	}
	return out
}

// MaskID hides a resident ID number: an 18-character number keeps its
// 6-digit region code and last 4 characters (110105********002X), a legacy
// 15-digit one its region code and last 3. Anything else goes to MaskText.
func MaskID(id string) string {
	s := strings.TrimSpace(id)
	switch {
	case len(s) == 18 && isDigits(s[:17]):
		return s[:6] + "********" + s[14:]
	case len(s) == 15 && isDigits(s):
		return s[:6] + "******" + s[12:]
	}
	return MaskText(s)
}

// MaskText keeps the first and last characters of s visible (one each for up
// to 8 runes, two each beyond) and stars the rest; up to 2 runes become "**".
func MaskText(s string) string {
	r := []rune(s)
	n := len(r)
	switch {
	case n <= 2:
		return "**"
	case n <= 8:
		return string(r[:1]) + strings.Repeat("*", n-2) + string(r[n-1:])
	default:
		return string(r[:2]) + strings.Repeat("*", n-4) + string(r[n-2:])
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// MaskName is a login or display name as logs and audit rows may show it:
// masked by Mask when it holds seven or more digits (people log in with
// their mobile number), unchanged otherwise.
func MaskName(name string) string {
	digits := 0
	for _, c := range name {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits >= 7 {
		return Mask(name)
	}
	return name
}
