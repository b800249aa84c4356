package guard

import "bytes"

// uaScanner spots scanner User-Agent header lines with a byte scan, so a
// sweep is dropped without paying for a SIP parse.
type uaScanner struct {
	patterns [][]byte // ASCII-lower-cased
}

func newUAScanner(subs []string) uaScanner {
	s := uaScanner{patterns: make([][]byte, 0, len(subs))}
	for _, sub := range subs {
		p := []byte(sub)
		for i, c := range p {
			p[i] = lowerASCII(c)
		}
		s.patterns = append(s.patterns, p)
	}
	return s
}

// match reports whether a User-Agent line of msg contains a pattern. With
// headersOnly it stops at the first empty line, which ends the headers of
// the single message a datagram carries; a TCP read may hold several
// messages, so there every line is looked at.
func (s uaScanner) match(msg []byte, headersOnly bool) bool {
	if len(s.patterns) == 0 {
		return false
	}
	for len(msg) > 0 {
		line := msg
		msg = nil
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, msg = line[:i], line[i+1:]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			if headersOnly {
				return false
			}
			continue
		}
		if v, ok := userAgentValue(line); ok && s.matchValue(v) {
			return true
		}
	}
	return false
}

// matchValue lower-cases a typical User-Agent into a stack buffer once so
// each pattern is a fast bytes.Contains; longer values take the slower
// case-folding compare.
func (s uaScanner) matchValue(v []byte) bool {
	var buf [256]byte
	if len(v) > len(buf) {
		for _, p := range s.patterns {
			if containsFold(v, p) {
				return true
			}
		}
		return false
	}
	lower := buf[:len(v)]
	for i, c := range v {
		lower[i] = lowerASCII(c)
	}
	for _, p := range s.patterns {
		if bytes.Contains(lower, p) {
			return true
		}
	}
	return false
}

// userAgentValue returns what follows "User-Agent:" (any case, optional
// blanks before the colon). The header has no compact form (RFC 3261 §7.3.3).
func userAgentValue(line []byte) ([]byte, bool) {
	const name = "user-agent"
	if len(line) <= len(name) || lowerASCII(line[0]) != 'u' {
		return nil, false
	}
	for i := 1; i < len(name); i++ {
		if lowerASCII(line[i]) != name[i] {
			return nil, false
		}
	}
	rest := line[len(name):]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	return rest[1:], true
}

// containsFold reports whether lowerSub occurs in s, ignoring ASCII case.
func containsFold(s, lowerSub []byte) bool {
	if len(lowerSub) == 0 {
		return true
	}
	first := lowerSub[0]
	for i := 0; i+len(lowerSub) <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < len(lowerSub) && lowerASCII(s[i+j]) == lowerSub[j] {
			j++
		}
		if j == len(lowerSub) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
