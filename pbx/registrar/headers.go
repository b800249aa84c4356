package registrar

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// headersNamed returns req's headers called name, in order. sipgo's
// GetHeader and GetHeaders lower-case every header name they pass and
// allocate for each one they do not know (Expires, User-Agent,
// Authorization): a fifth of the registrar's time at thousands of
// REGISTERs a second.
func headersNamed(req *sip.Request, name string) []sip.Header {
	var out []sip.Header
	for _, h := range req.Headers() {
		if strings.EqualFold(h.Name(), name) {
			out = append(out, h)
		}
	}
	return out
}

// headerNamed returns req's first header called name, or nil.
func headerNamed(req *sip.Request, name string) sip.Header {
	for _, h := range req.Headers() {
		if strings.EqualFold(h.Name(), name) {
			return h
		}
	}
	return nil
}
