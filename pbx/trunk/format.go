package trunk

import (
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Format is how a carrier wants numbers written in the Request-URI and
// the caller ID it is sent.
type Format string

// The number formats a trunk can ask for.
const (
	FormatNational Format = "national" // 01058001234, 13812345678, 00 for abroad
	FormatE164     Format = "e164"     // +861058001234, +8613812345678
	Format86       Format = "86"       // 861058001234, 8613812345678
	FormatLocal    Format = "local"    // the trunk's own area without its code: 58001234
)

// ParseFormat reads a format name; empty is national.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "":
		return FormatNational, nil
	case FormatNational, FormatE164, Format86, FormatLocal:
		return Format(s), nil
	}
	return "", fmt.Errorf("number format %q (want national, e164, 86 or local): %w", s, errs.ErrInvalid)
}

// Write renders the normalised number num in format f for a trunk whose
// area code is area. Short numbers (emergency, service codes) have no
// international form and go as they are.
func (f Format) Write(num, area string) string {
	if num == Anonymous {
		return num
	}
	abroad := strings.HasPrefix(num, "+")
	switch f {
	case FormatE164, Format86:
		cc := "+86"
		if f == Format86 {
			cc = "86"
		}
		switch {
		case abroad:
			if f == Format86 {
				return "00" + num[1:]
			}
			return num
		case isMobile(num), isFreephone(num):
			return cc + num
		case len(num) >= 10 && num[0] == '0':
			return cc + num[1:]
		}
		return num
	case FormatLocal:
		if area != "" && strings.HasPrefix(num, area) && len(num)-len(area) >= 7 {
			return num[len(area):]
		}
	}
	if abroad {
		return "00" + num[1:]
	}
	return num
}
