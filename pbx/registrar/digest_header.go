package registrar

import (
	"errors"
	"strings"
)

// ErrBadAuthHeader is returned for an Authorization header that cannot be parsed.
var ErrBadAuthHeader = errors.New("registrar: malformed digest credentials")

// credentials are the fields of a Digest Authorization / Proxy-Authorization header.
type credentials struct {
	Username, Realm, Nonce, URI, Response, Algorithm, QOP, NC, CNonce, Opaque string
}

// maxAuthHeader bounds the work done on a hostile header.
const maxAuthHeader = 4096

// parseCredentials parses `Digest k=v, k="v", ...`. Unknown parameters are ignored.
func parseCredentials(h string) (credentials, error) {
	var c credentials
	if len(h) > maxAuthHeader {
		return c, ErrBadAuthHeader
	}
	h = strings.TrimSpace(h)
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Digest") {
		return c, ErrBadAuthHeader
	}
	s := rest
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return c, ErrBadAuthHeader
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			if j := strings.IndexAny(s[1:], `"\`); j >= 0 && s[1+j] == '"' {
				// No escapes: the value is the text between the quotes.
				val, s = s[1:1+j], s[2+j:]
			} else if val, s, ok = unquote(s); !ok {
				return c, ErrBadAuthHeader
			}
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val = s[:end]
			s = s[end:]
		}
		switch key {
		case "username":
			c.Username = val
		case "realm":
			c.Realm = val
		case "nonce":
			c.Nonce = val
		case "uri":
			c.URI = val
		case "response":
			c.Response = strings.ToLower(val)
		case "algorithm":
			c.Algorithm = val
		case "qop":
			c.QOP = val
		case "nc":
			c.NC = val
		case "cnonce":
			c.CNonce = val
		case "opaque":
			c.Opaque = val
		}
	}
	if c.Username == "" || c.Nonce == "" || c.Response == "" || c.URI == "" {
		return c, ErrBadAuthHeader
	}
	return c, nil
}

// unquote reads the quoted string s starts with, backslash escapes
// resolved, and returns it and what follows; false when it is not closed.
func unquote(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		ch := s[i]
		if ch == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if ch == '"' {
			return b.String(), s[i+1:], true
		}
		b.WriteByte(ch)
	}
	return "", "", false
}
