package guard

// messageEnds counts the SIP messages a TCP stream completes: each ends its
// headers with an empty line, CRLF CRLF (a keep-alive is that line alone,
// and costs a message too). It remembers the tail of the previous read, so
// a terminator split across two reads is counted once. Bodies (SDP) carry
// no empty line, and Content-Length is not trusted: counting terminators
// can only over-charge a peer that sends blank lines.
type messageEnds struct {
	tail uint32 // the last bytes seen, most recent lowest
}

const crlfcrlf = uint32('\r')<<24 | uint32('\n')<<16 | uint32('\r')<<8 | uint32('\n')

// count returns how many header terminators data completes.
func (m *messageEnds) count(data []byte) int {
	n := 0
	t := m.tail
	for _, c := range data {
		t = t<<8 | uint32(c)
		if t == crlfcrlf {
			n++
			t = 0 // "\r\n\r\n\r\n" is one terminator and the start of the next line
		}
	}
	m.tail = t
	return n
}
