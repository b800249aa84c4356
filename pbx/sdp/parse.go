package sdp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// MaxBodySize is the largest SDP body Parse accepts. Real offers, even
// WebRTC ones with many candidates, stay well below it; anything bigger is
// a mistake or an attack.
const MaxBodySize = 16 << 10

// maxMedia bounds the m= lines of one body, and with it the size of an
// answer that must repeat each of them.
const maxMedia = 64

// invalidf builds an ErrInvalid with a message naming the problem.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("sdp: "+format+": %w", append(args, errs.ErrInvalid)...)
}

// section is one m= line and the text of the lines after it.
type section struct {
	media Media
	line  int    // line number of the m= line
	body  string // lines after the m= line, up to the next m= or the end
}

// sessionLevel is what the lines before the first m= contribute.
type sessionLevel struct {
	origin    Origin
	sawOrigin bool
	conn      netip.Addr
	sawConn   bool
	direction Direction
	ptime     int
}

// Parse reads an SDP body. It returns an error wrapping errs.ErrInvalid,
// naming the line at fault, for anything malformed, for bodies over
// MaxBodySize and for bodies without an RTP audio stream. It never panics.
func Parse(body []byte) (*Session, error) {
	if len(body) > MaxBodySize {
		return nil, invalidf("body is %d bytes, limit is %d", len(body), MaxBodySize)
	}
	// One copy; every string in the result is a slice of it.
	text := string(body)

	var sess sessionLevel
	secs := make([]section, 0, 8)
	sawVersion := false
	lineNo := 0
	bodyStart := 0 // where the lines of the newest section begin
	for rest := text; rest != ""; {
		lineStart := len(text) - len(rest)
		var l string
		l, rest = cutLine(rest)
		lineNo++
		if l == "" {
			continue
		}
		if err := checkLine(l, lineNo); err != nil {
			return nil, err
		}
		if !sawVersion {
			if l != "v=0" {
				return nil, invalidf("line %d: want v=0 first, got %q", lineNo, clip(l))
			}
			sawVersion = true
			continue
		}
		if l[0] == 'm' {
			if len(secs) == maxMedia {
				return nil, invalidf("line %d: more than %d m= lines", lineNo, maxMedia)
			}
			m, err := parseMediaLine(l[2:], lineNo)
			if err != nil {
				return nil, err
			}
			if n := len(secs); n > 0 {
				secs[n-1].body = text[bodyStart:lineStart]
			}
			bodyStart = len(text) - len(rest)
			secs = append(secs, section{media: m, line: lineNo})
			continue
		}
		if len(secs) > 0 {
			continue // media-level lines are read once the audio stream is chosen
		}
		if err := sess.add(l, lineNo); err != nil {
			return nil, err
		}
	}
	if n := len(secs); n > 0 {
		secs[n-1].body = text[bodyStart:]
	}
	switch {
	case !sawVersion:
		return nil, invalidf("empty body, want v=0 first")
	case !sess.sawOrigin:
		return nil, invalidf("missing o= line")
	case len(secs) == 0:
		return nil, invalidf("missing m= line")
	}
	return buildSession(&sess, secs)
}

// cutLine splits off one line, accepting CRLF or bare LF endings.
func cutLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		line, rest = s, ""
	} else {
		line, rest = s[:i], s[i+1:]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// checkLine insists on "<letter>=" and no control characters but tab, so
// that every value Parse hands out can be written back on a line of its own.
func checkLine(l string, lineNo int) error {
	if len(l) < 2 || l[1] != '=' || l[0] < 'a' || l[0] > 'z' {
		return invalidf("line %d: not a <type>=<value> line: %q", lineNo, clip(l))
	}
	for i := 2; i < len(l); i++ {
		if c := l[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return invalidf("line %d: control character 0x%02x inside the line", lineNo, c)
		}
	}
	return nil
}

// isToken reports whether s is a non-empty SDP token, free of blanks.
func isToken(s string) bool {
	return s != "" && strings.IndexAny(s, " \t") < 0
}

// clip keeps quoted input in error messages short.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// add takes one session-level line.
func (s *sessionLevel) add(l string, lineNo int) error {
	v := l[2:]
	switch l[0] {
	case 'o':
		if s.sawOrigin {
			return nil
		}
		o, err := parseOrigin(v, lineNo)
		if err != nil {
			return err
		}
		s.origin, s.sawOrigin = o, true
	case 'c':
		if s.sawConn {
			return nil
		}
		a, err := parseConn(v, lineNo)
		if err != nil {
			return err
		}
		s.conn, s.sawConn = a, true
	case 'a':
		name, val := splitAttr(v)
		if d, ok := parseDirection(name); ok {
			s.direction = d
		} else if name == "ptime" {
			s.ptime = parsePTime(val)
		}
	}
	return nil
}

// nextField returns the first space-separated field of s and what follows.
func nextField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " ")
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// parseOrigin reads "o=<username> <sess-id> <sess-version> IN <addrtype> <address>".
func parseOrigin(v string, lineNo int) (Origin, error) {
	var f [6]string
	rest := v
	n := 0
	for n < len(f) {
		f[n], rest = nextField(rest)
		if f[n] == "" {
			break
		}
		n++
	}
	if n < len(f) || strings.TrimLeft(rest, " ") != "" {
		return Origin{}, invalidf("line %d: o= wants 6 fields: %q", lineNo, clip(v))
	}
	id, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return Origin{}, invalidf("line %d: o= session id %q is not a number", lineNo, clip(f[1]))
	}
	ver, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return Origin{}, invalidf("line %d: o= version %q is not a number", lineNo, clip(f[2]))
	}
	return Origin{Username: f[0], SessionID: id, Version: ver, Address: f[5]}, nil
}

// parseConn reads "c=IN IP4|IP6 <address>[/ttl][/count]". Host names are
// refused: a relay must not resolve names from a peer's SDP.
func parseConn(v string, lineNo int) (netip.Addr, error) {
	netType, rest := nextField(v)
	addrType, rest := nextField(rest)
	addr, rest := nextField(rest)
	if netType != "IN" {
		return netip.Addr{}, invalidf("line %d: c= network type %q is not IN", lineNo, clip(netType))
	}
	if addrType != "IP4" && addrType != "IP6" {
		return netip.Addr{}, invalidf("line %d: c= address type %q is not IP4 or IP6", lineNo, clip(addrType))
	}
	if strings.TrimLeft(rest, " ") != "" {
		return netip.Addr{}, invalidf("line %d: c= has extra fields: %q", lineNo, clip(v))
	}
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		addr = addr[:i] // multicast TTL and count say nothing about where to send
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, invalidf("line %d: c= address %q is not an IP literal", lineNo, clip(addr))
	}
	if addrType == "IP4" && !a.Is4() {
		return netip.Addr{}, invalidf("line %d: c= says IP4 but %q is not IPv4", lineNo, clip(addr))
	}
	if addrType == "IP6" && !a.Is6() {
		return netip.Addr{}, invalidf("line %d: c= says IP6 but %q is not IPv6", lineNo, clip(addr))
	}
	return a, nil
}

// parseMediaLine reads "m=<media> <port>[/<count>] <proto> <fmt> ...".
func parseMediaLine(v string, lineNo int) (Media, error) {
	typ, rest := nextField(v)
	portText, rest := nextField(rest)
	proto, rest := nextField(rest)
	formats := strings.Trim(rest, " ")
	if !isToken(typ) || !isToken(proto) || formats == "" {
		return Media{}, invalidf("line %d: m= wants <media> <port> <proto> <formats>: %q", lineNo, clip(v))
	}
	if i := strings.IndexByte(portText, '/'); i >= 0 {
		if _, err := strconv.ParseUint(portText[i+1:], 10, 16); err != nil {
			return Media{}, invalidf("line %d: m= port count %q is not a number", lineNo, clip(portText))
		}
		portText = portText[:i]
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return Media{}, invalidf("line %d: m= port %q is not 0-65535", lineNo, clip(portText))
	}
	return Media{Type: typ, Port: int(port), Proto: proto, Formats: formats}, nil
}

// splitAttr splits an a= value into its name and the value after ':'.
func splitAttr(v string) (name, value string) {
	name, value, _ = strings.Cut(v, ":")
	return name, value
}

// parseDirection recognises the four direction attributes. It returns the
// constants, not a slice of the body: a direction kept for a call's length
// (what the caller offered) must not keep the whole body with it.
func parseDirection(name string) (Direction, bool) {
	for _, d := range [...]Direction{SendRecv, SendOnly, RecvOnly, Inactive} {
		if name == string(d) {
			return d, true
		}
	}
	return "", false
}

// parsePTime returns a=ptime in milliseconds, or 0 when it makes no sense.
// A bad ptime is ignored rather than refused: it is a hint, and the relay
// passes payloads through untouched.
func parsePTime(v string) int {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
	if err != nil || n > 10000 {
		return 0
	}
	return int(n)
}

// isRTP reports whether an m= protocol carries RTP payload types.
func isRTP(proto string) bool {
	return strings.Contains(proto, "RTP/")
}

// chooseAudio picks the first RTP audio stream that is not refused, or
// failing that the first RTP audio stream at all.
func chooseAudio(secs []section) int {
	first := -1
	for i := range secs {
		m := &secs[i].media
		if m.Type != "audio" || !isRTP(m.Proto) {
			continue
		}
		if m.Port != 0 {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// buildSession turns the scanned sections into a Session.
func buildSession(sess *sessionLevel, secs []section) (*Session, error) {
	ai := chooseAudio(secs)
	if ai < 0 {
		return nil, invalidf("no RTP audio stream among %d m= lines", len(secs))
	}
	s := &Session{
		Origin:     sess.origin,
		Port:       secs[ai].media.Port,
		Proto:      secs[ai].media.Proto,
		Media:      make([]Media, len(secs)),
		AudioIndex: ai,
	}
	for i := range secs {
		s.Media[i] = secs[i].media
		if secs[i].media.Type == "video" {
			s.HasVideo = true
		}
	}
	if err := s.readAudio(&secs[ai], sess); err != nil {
		return nil, err
	}
	return s, nil
}

// ptSet is a set of RTP payload types (0-127).
type ptSet [2]uint64

func (p *ptSet) has(pt uint8) bool { return p[pt>>6]&(1<<(pt&63)) != 0 }
func (p *ptSet) add(pt uint8)      { p[pt>>6] |= 1 << (pt & 63) }

// readAudio fills codecs, address, direction and ptime from the audio
// section, falling back to session-level values.
func (s *Session) readAudio(sec *section, sess *sessionLevel) error {
	listed, err := s.readFormats(sec)
	if err != nil {
		return err
	}
	var mapped, withFmtp ptSet
	var conn netip.Addr
	sawConn := false
	dir := Direction("")
	ptime := 0
	lineNo := sec.line
	for rest := sec.body; rest != ""; {
		var l string
		l, rest = cutLine(rest)
		lineNo++
		if len(l) < 2 {
			continue
		}
		v := l[2:]
		switch l[0] {
		case 'c':
			if sawConn {
				continue
			}
			a, err := parseConn(v, lineNo)
			if err != nil {
				return err
			}
			conn, sawConn = a, true
		case 'a':
			name, val := splitAttr(v)
			if d, ok := parseDirection(name); ok {
				dir = d
				continue
			}
			switch name {
			case "ptime":
				ptime = parsePTime(val)
			case "rtpmap":
				if err := s.applyRtpmap(val, lineNo, &listed, &mapped); err != nil {
					return err
				}
			case "fmtp":
				if err := s.applyFmtp(val, lineNo, &listed, &withFmtp); err != nil {
					return err
				}
			case "crypto":
				if len(s.Crypto) == maxCrypto {
					return invalidf("line %d: more than %d a=crypto lines", lineNo, maxCrypto)
				}
				c, err := parseCrypto(val, lineNo)
				if err != nil {
					return err
				}
				s.Crypto = append(s.Crypto, c)
			}
		}
	}
	switch {
	case sawConn:
		s.Addr = conn
	case sess.sawConn:
		s.Addr = sess.conn
	default:
		return invalidf("line %d: no c= line for the audio stream", sec.line)
	}
	s.Direction = firstDirection(dir, sess.direction, SendRecv)
	s.PTime = ptime
	if s.PTime == 0 {
		s.PTime = sess.ptime
	}
	s.splitDTMF()
	return nil
}

// firstDirection returns the first non-empty direction.
func firstDirection(ds ...Direction) Direction {
	for _, d := range ds {
		if d != "" {
			return d
		}
	}
	return SendRecv
}

// readFormats turns the audio m= format list into codecs, filling static
// payload types from RFC 3551 so that "m=audio 4000 RTP/AVP 0 8" with no
// rtpmap still means PCMU and PCMA.
func (s *Session) readFormats(sec *section) (ptSet, error) {
	var listed ptSet
	formats := sec.media.Formats
	s.Codecs = make([]Codec, 0, strings.Count(formats, " ")+1)
	for rest := formats; ; {
		var f string
		f, rest = nextField(rest)
		if f == "" {
			break
		}
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return listed, invalidf("line %d: m=audio payload type %q is not 0-127", sec.line, clip(f))
		}
		p := uint8(pt)
		if listed.has(p) {
			continue
		}
		listed.add(p)
		c := Codec{PT: p}
		c.Name, c.Rate, c.Channels = staticPayload(p)
		s.Codecs = append(s.Codecs, c)
	}
	return listed, nil
}

// parsePT reads the payload type that starts an rtpmap or fmtp value.
func parsePT(v, attr string, lineNo int) (uint8, string, error) {
	f, rest := nextField(v)
	pt, err := strconv.ParseUint(f, 10, 7)
	if err != nil {
		return 0, "", invalidf("line %d: a=%s payload type %q is not 0-127", lineNo, attr, clip(f))
	}
	return uint8(pt), rest, nil
}

// codec returns the listed codec with payload type pt.
func (s *Session) codec(pt uint8) *Codec {
	for i := range s.Codecs {
		if s.Codecs[i].PT == pt {
			return &s.Codecs[i]
		}
	}
	return nil
}

// applyRtpmap reads "a=rtpmap:<pt> <name>/<rate>[/<channels>]". Maps for
// payload types the m= line does not list are ignored; the first map for a
// payload type wins.
func (s *Session) applyRtpmap(v string, lineNo int, listed, mapped *ptSet) error {
	pt, rest, err := parsePT(v, "rtpmap", lineNo)
	if err != nil {
		return err
	}
	if !listed.has(pt) || mapped.has(pt) {
		return nil
	}
	mapped.add(pt)
	enc := strings.TrimLeft(rest, " ")
	name, clock, ok := strings.Cut(enc, "/")
	if !ok || !isToken(name) {
		return invalidf("line %d: a=rtpmap wants <name>/<rate>: %q", lineNo, clip(v))
	}
	rateText, chText, hasCh := strings.Cut(clock, "/")
	rate, err := strconv.ParseUint(rateText, 10, 31)
	if err != nil || rate == 0 {
		return invalidf("line %d: a=rtpmap clock rate %q is not a positive number", lineNo, clip(rateText))
	}
	ch := uint64(1)
	if hasCh {
		ch, err = strconv.ParseUint(chText, 10, 8)
		if err != nil || ch == 0 {
			return invalidf("line %d: a=rtpmap channels %q is not 1-255", lineNo, clip(chText))
		}
	}
	c := s.codec(pt)
	c.Name, c.Rate, c.Channels = name, int(rate), int(ch)
	return nil
}

// applyFmtp reads "a=fmtp:<pt> <parameters>"; the first one per payload
// type wins.
func (s *Session) applyFmtp(v string, lineNo int, listed, withFmtp *ptSet) error {
	pt, rest, err := parsePT(v, "fmtp", lineNo)
	if err != nil {
		return err
	}
	if !listed.has(pt) || withFmtp.has(pt) {
		return nil
	}
	withFmtp.add(pt)
	s.codec(pt).Fmtp = strings.TrimSpace(rest)
	return nil
}

// splitDTMF moves telephone-event out of Codecs, keeping the first at
// 8000 Hz as DTMF: RFC 4733 events must share the audio clock, and G.711
// runs at 8000 Hz.
func (s *Session) splitDTMF() {
	kept := s.Codecs[:0]
	for _, c := range s.Codecs {
		if !strings.EqualFold(c.Name, TelephoneEvent) {
			kept = append(kept, c)
			continue
		}
		if s.DTMF == nil && c.Rate == 8000 {
			dtmf := c
			s.DTMF = &dtmf
		}
	}
	s.Codecs = kept
}
