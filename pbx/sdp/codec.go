package sdp

import (
	"fmt"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Encoding names the relay understands.
const (
	PCMU           = "PCMU"
	PCMA           = "PCMA"
	TelephoneEvent = "telephone-event"
)

// ErrNoCommonCodec means the offer shares no codec with what is allowed;
// the SIP edge answers it with 488 Not Acceptable Here.
var ErrNoCommonCodec = fmt.Errorf("sdp: no common codec: %w", errs.ErrInvalid)

// SupportedCodecs returns the codecs the relay can carry, in preference
// order, as a fresh slice the caller may change.
func SupportedCodecs() []Codec {
	return []Codec{
		{PT: 0, Name: PCMU, Rate: 8000, Channels: 1},
		{PT: 8, Name: PCMA, Rate: 8000, Channels: 1},
	}
}

// Detached returns c with strings that are not slices of the body it was
// parsed from: a codec kept for a call's length would otherwise keep the
// whole body alive. Names and parameters as common as PCMU or "0-16" come
// from constants, without a copy; anything else is copied.
func (c Codec) Detached() Codec {
	c.Name = detached(c.Name, PCMU, PCMA, TelephoneEvent)
	c.Fmtp = detached(c.Fmtp, "0-16", "0-15", "0-11")
	return c
}

// detached is s itself when empty, one of common's strings when s equals
// it, and otherwise a copy of s.
func detached(s string, common ...string) string {
	if s == "" {
		return ""
	}
	for _, k := range common {
		if s == k {
			return k
		}
	}
	return strings.Clone(s)
}

// TelephoneEventCodec returns telephone-event/8000 on payload type pt with
// the events every hotline needs: digits, * and #, A-D and flash (RFC 4733).
func TelephoneEventCodec(pt uint8) Codec {
	return Codec{PT: pt, Name: TelephoneEvent, Rate: 8000, Channels: 1, Fmtp: "0-16"}
}

// supported reports whether the relay can carry c. The payload type is not
// checked: a peer may put G.711 on a dynamic one, and the answer must echo it.
func supported(c Codec) bool {
	if c.Rate != 8000 || c.Channels > 1 {
		return false
	}
	return strings.EqualFold(c.Name, PCMU) || strings.EqualFold(c.Name, PCMA)
}

// staticPayload is the RFC 3551 table of static audio payload types.
func staticPayload(pt uint8) (name string, rate, channels int) {
	switch pt {
	case 0:
		return PCMU, 8000, 1
	case 3:
		return "GSM", 8000, 1
	case 4:
		return "G723", 8000, 1
	case 5:
		return "DVI4", 8000, 1
	case 6:
		return "DVI4", 16000, 1
	case 7:
		return "LPC", 8000, 1
	case 8:
		return PCMA, 8000, 1
	case 9:
		return "G722", 8000, 1
	case 10:
		return "L16", 44100, 2
	case 11:
		return "L16", 44100, 1
	case 12:
		return "QCELP", 8000, 1
	case 13:
		return "CN", 8000, 1
	case 14:
		return "MPA", 90000, 1
	case 15:
		return "G728", 8000, 1
	case 16:
		return "DVI4", 11025, 1
	case 17:
		return "DVI4", 22050, 1
	case 18:
		return "G729", 8000, 1
	}
	return "", 0, 0
}

// Negotiate returns the offered codecs the relay supports whose names are in
// allowed (case-insensitive), in offer order and with the offer's payload
// types. If none is left it returns an error wrapping ErrNoCommonCodec.
func (s *Session) Negotiate(allowed []string) ([]Codec, error) {
	var out []Codec
	for _, c := range s.Codecs {
		if supported(c) && containsFold(allowed, c.Name) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (offered %s; allowed %s)", ErrNoCommonCodec, codecNames(s.Codecs), strings.Join(allowed, ","))
	}
	return out, nil
}

// containsFold reports whether list holds name, ignoring case.
func containsFold(list []string, name string) bool {
	for _, l := range list {
		if strings.EqualFold(l, name) {
			return true
		}
	}
	return false
}

// codecNames lists codecs for an error message.
func codecNames(cs []Codec) string {
	if len(cs) == 0 {
		return "nothing"
	}
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(',')
		}
		if c.Name == "" {
			fmt.Fprintf(&b, "pt%d", c.PT)
			continue
		}
		fmt.Fprintf(&b, "%s/%d", c.Name, c.Rate)
	}
	return b.String()
}
