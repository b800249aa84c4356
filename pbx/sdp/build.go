package sdp

import (
	"net/netip"
	"strconv"
)

// Rewrite is what the B2BUA wants the other side to see.
type Rewrite struct {
	Addr      netip.Addr // the relay's address; an invalid Addr is written as 0.0.0.0
	Port      int        // the relay's port; 0 refuses the audio stream
	Codecs    []Codec
	DTMF      *Codec // telephone-event, written after Codecs; nil for none
	Direction Direction
	SessionID uint64
	Version   uint64
	Username  string  // o= username; "" or anything with spaces becomes "-"
	Proto     string  // m= protocol; "" means RTP/AVP
	PTime     int     // a=ptime; 0 leaves it out
	Crypto    *Crypto // the SDES key we send with (Proto RTP/SAVP); nil for none
}

// Build writes r as an SDP body with CRLF line endings. When answerTo is
// not nil the body answers it: every m= line of the offer is repeated in
// order, the audio one carrying r and each other one refused with port 0,
// as RFC 3264 §6 requires.
func Build(r Rewrite, answerTo *Session) []byte {
	n := 160 + 48*len(r.Codecs)
	if answerTo != nil {
		n += 32 * len(answerTo.Media)
	}
	return Append(make([]byte, 0, n), r, answerTo)
}

// Append is Build writing into a buffer the caller owns.
func Append(dst []byte, r Rewrite, answerTo *Session) []byte {
	addr := r.Addr
	if !addr.IsValid() {
		addr = netip.IPv4Unspecified()
	}
	dst = append(dst, "v=0\r\no="...)
	dst = appendToken(dst, r.Username)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, r.SessionID, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, r.Version, 10)
	dst = append(dst, ' ')
	dst = appendAddr(dst, addr)
	dst = append(dst, "\r\ns=-\r\nc="...)
	dst = appendAddr(dst, addr)
	dst = append(dst, "\r\nt=0 0\r\n"...)
	if answerTo == nil || len(answerTo.Media) == 0 {
		return appendAudio(dst, &r)
	}
	for i := range answerTo.Media {
		if i == answerTo.AudioIndex {
			dst = appendAudio(dst, &r)
			continue
		}
		dst = appendRefused(dst, &answerTo.Media[i])
	}
	return dst
}

// appendAddr writes "IN IP4 <addr>" or "IN IP6 <addr>".
func appendAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		dst = append(dst, "IN IP4 "...)
	} else {
		dst = append(dst, "IN IP6 "...)
	}
	return a.WithZone("").AppendTo(dst)
}

// appendAudio writes the audio m= line and its attributes.
func appendAudio(dst []byte, r *Rewrite) []byte {
	proto := r.Proto
	if proto == "" {
		proto = "RTP/AVP"
	}
	port := r.Port
	if len(r.Codecs) == 0 && r.DTMF == nil || port < 0 || port > 65535 {
		// An m= line must list a format and a real port; without them the
		// stream is refused rather than written malformed.
		port = 0
	}
	dst = append(dst, "m=audio "...)
	dst = strconv.AppendInt(dst, int64(port), 10)
	dst = append(dst, ' ')
	dst = appendSafe(dst, proto)
	if len(r.Codecs) == 0 && r.DTMF == nil {
		dst = append(dst, " 0"...)
	}
	for _, c := range r.Codecs {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(c.PT), 10)
	}
	if r.DTMF != nil {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(r.DTMF.PT), 10)
	}
	dst = append(dst, "\r\n"...)
	for i := range r.Codecs {
		dst = appendCodec(dst, &r.Codecs[i])
	}
	if r.DTMF != nil {
		dtmf := *r.DTMF
		if dtmf.Name == "" {
			dtmf.Name = TelephoneEvent
		}
		if dtmf.Rate == 0 {
			dtmf.Rate = 8000
		}
		if dtmf.Fmtp == "" {
			dtmf.Fmtp = TelephoneEventCodec(dtmf.PT).Fmtp
		}
		dst = appendCodec(dst, &dtmf)
	}
	if r.Crypto != nil {
		dst = appendCrypto(dst, r.Crypto)
	}
	if r.PTime > 0 {
		dst = append(dst, "a=ptime:"...)
		dst = strconv.AppendInt(dst, int64(r.PTime), 10)
		dst = append(dst, "\r\n"...)
	}
	dir := r.Direction
	if _, ok := parseDirection(string(dir)); !ok {
		dir = SendRecv
	}
	dst = append(dst, "a="...)
	dst = append(dst, dir...)
	return append(dst, "\r\n"...)
}

// appendCodec writes a codec's rtpmap and fmtp lines. A codec with no name
// or rate gets no rtpmap, which is right for static payload types and the
// best that can be said for unknown dynamic ones.
func appendCodec(dst []byte, c *Codec) []byte {
	if c.Name != "" && c.Rate > 0 {
		dst = append(dst, "a=rtpmap:"...)
		dst = strconv.AppendUint(dst, uint64(c.PT), 10)
		dst = append(dst, ' ')
		dst = appendToken(dst, c.Name)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(c.Rate), 10)
		if c.Channels > 1 {
			dst = append(dst, '/')
			dst = strconv.AppendInt(dst, int64(c.Channels), 10)
		}
		dst = append(dst, "\r\n"...)
	}
	if c.Fmtp != "" {
		dst = append(dst, "a=fmtp:"...)
		dst = strconv.AppendUint(dst, uint64(c.PT), 10)
		dst = append(dst, ' ')
		dst = appendSafe(dst, c.Fmtp)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// appendRefused answers an offered m= line with port 0 (RFC 3264 §6).
func appendRefused(dst []byte, m *Media) []byte {
	dst = append(dst, "m="...)
	dst = appendToken(dst, m.Type)
	dst = append(dst, " 0 "...)
	dst = appendToken(dst, m.Proto)
	dst = append(dst, ' ')
	dst = appendSafe(dst, m.Formats)
	return append(dst, "\r\n"...)
}

// appendToken writes a single SDP field; empty or space-bearing values
// would shift the fields after them, so they become "-".
func appendToken(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' {
			return append(dst, '-')
		}
	}
	return append(dst, s...)
}

// appendSafe writes s without CR, LF or NUL, so that no value can end its
// line early and inject lines of its own.
func appendSafe(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r', '\n', 0:
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
