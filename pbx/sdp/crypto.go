package sdp

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// ProtoSAVP is the m= protocol of SRTP with SDES keys (RFC 3711, RFC 4568).
const ProtoSAVP = "RTP/SAVP"

// maxCrypto bounds the a=crypto lines of one stream: phones offer two or
// three suites, and each line is decoded.
const maxCrypto = 16

// maxInlineKey is the longest inline key accepted, in bytes after base64:
// AES-256 key and salt are 46.
const maxInlineKey = 64

// Crypto is one a=crypto line (RFC 4568 §9.1) of the audio stream: an SDES
// key the peer will send with. Key is secret: never log it.
type Crypto struct {
	Tag   int
	Suite string
	Key   []byte // master key and salt, decoded from inline:
	// Plain is false for a line using what the relay does not do (an MKI,
	// several keys, session parameters such as UNENCRYPTED_SRTP, a
	// lifetime it cannot read): it is passed over when choosing.
	Plain bool
	// Lifetime is how many packets the key may protect (RFC 4568 §6.1,
	// "|2^20" or "|1048576"); 0 when the line gives none (SRTP's own
	// limit, 2^48, then holds).
	Lifetime uint64
}

// maxLifetime is the most an SRTP master key may protect (RFC 3711 §9.2).
const maxLifetime = 1 << 48

// parseLifetime reads a key's lifetime: a decimal count or 2^n, at most
// 2^48. ok is false for anything else.
func parseLifetime(f string) (uint64, bool) {
	if exp, ok := strings.CutPrefix(f, "2^"); ok {
		n, err := strconv.Atoi(exp)
		if err != nil || n < 1 || n > 48 || len(exp) > 2 {
			return 0, false
		}
		return 1 << n, true
	}
	if f == "" || len(f) > 15 || strings.TrimLeft(f, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(f, 10, 64)
	if err != nil || n == 0 || n > maxLifetime {
		return 0, false
	}
	return n, true
}

// SDES reports whether the audio stream is SRTP keyed in the SDP: RTP/SAVP
// or RTP/SAVPF, or SDES keys whatever the protocol says. DTLS-SRTP
// (UDP/TLS/RTP/SAVPF, keyed by a handshake on the media path) is not.
func (s *Session) SDES() bool {
	return !s.DTLS() && (strings.HasPrefix(s.Proto, "RTP/SAVP") || len(s.Crypto) > 0)
}

// DTLS reports whether the audio stream is DTLS-SRTP (RFC 5764), as
// browsers offer it.
func (s *Session) DTLS() bool {
	return strings.Contains(s.Proto, "TLS/RTP/")
}

// parseCrypto reads "a=crypto:<tag> <suite> inline:<key>[|<lifetime>][|<mki>:<len>] [<session-params>]".
func parseCrypto(v string, lineNo int) (Crypto, error) {
	tagText, rest := nextField(v)
	suite, rest := nextField(rest)
	keyParams, params := nextField(rest)
	tag, err := strconv.Atoi(tagText)
	if err != nil || tag < 0 || tag > 999999999 || len(tagText) > 10 {
		return Crypto{}, invalidf("line %d: a=crypto tag %q is not a number of up to 9 digits", lineNo, clip(tagText))
	}
	if suite == "" || !isToken(suite) {
		return Crypto{}, invalidf("line %d: a=crypto without a suite", lineNo)
	}
	inline, ok := strings.CutPrefix(keyParams, "inline:")
	if !ok {
		return Crypto{}, invalidf("line %d: a=crypto key parameters must start with inline:", lineNo)
	}
	c := Crypto{Tag: tag, Suite: suite, Plain: params == "" && !strings.Contains(inline, ";")}
	b64, extra, _ := strings.Cut(inline, "|")
	if extra != "" {
		for i, f := range strings.Split(extra, "|") {
			switch {
			case strings.Contains(f, ":"):
				c.Plain = false // an MKI
			case i == 0:
				lifetime, ok := parseLifetime(f)
				c.Lifetime = lifetime
				c.Plain = c.Plain && ok
			default:
				c.Plain = false
			}
		}
	}
	if !c.Plain {
		b64, _, _ = strings.Cut(b64, ";")
	}
	// Keys are padded base64 in RFC 4568; some phones leave the padding out.
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) == 0 || len(key) > maxInlineKey {
		return Crypto{}, invalidf("line %d: a=crypto inline key is not base64 of 1 to %d bytes", lineNo, maxInlineKey)
	}
	c.Key = key
	return c, nil
}

// appendCrypto writes c as an a=crypto line.
func appendCrypto(dst []byte, c *Crypto) []byte {
	dst = append(dst, "a=crypto:"...)
	dst = strconv.AppendInt(dst, int64(c.Tag), 10)
	dst = append(dst, ' ')
	dst = appendToken(dst, c.Suite)
	dst = append(dst, " inline:"...)
	dst = base64.StdEncoding.AppendEncode(dst, c.Key)
	if c.Lifetime > 0 {
		dst = append(dst, '|')
		dst = strconv.AppendUint(dst, c.Lifetime, 10)
	}
	return append(dst, "\r\n"...)
}
