package sdp

import (
	"errors"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

// FuzzParse checks that Parse never panics, that every failure is
// ErrInvalid, and that whatever parses survives Build and Parse again with
// the same audio values and the same m= lines.
func FuzzParse(f *testing.F) {
	for _, s := range sampleOffers() {
		f.Add([]byte(s))
		f.Add([]byte(crlf(s)))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Parse(body)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !s.Addr.IsValid() || len(s.Media) == 0 || s.AudioIndex >= len(s.Media) {
			t.Fatalf("parsed session is inconsistent: %+v", s)
		}
		if len(s.Codecs) == 0 && s.DTMF == nil {
			// Nothing to write back; Build refuses such a stream on purpose.
			return
		}
		out := Build(rewriteOf(s), s)
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Build output does not parse: %v\n%q", err, out)
		}
		if d := sameAudio(s, back); d != "" {
			t.Fatalf("round trip changed %s\nin:  %q\nout: %q", d, body, out)
		}
	})
}
