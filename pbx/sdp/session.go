package sdp

import "net/netip"

// Direction is an SDP media direction attribute (RFC 3264 §5.1).
type Direction string

// The four directions SDP knows.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Codec is one RTP payload format of the audio stream.
type Codec struct {
	PT       uint8
	Name     string // encoding name as the peer spelled it, "" if unknown
	Rate     int    // clock rate in Hz
	Channels int    // 1 unless the rtpmap says otherwise
	Fmtp     string // a=fmtp parameters, trimmed
}

// Origin is the o= line, which identifies a session and its version.
type Origin struct {
	Username  string
	SessionID uint64
	Version   uint64
	Address   string // kept as text: RFC 8866 allows a host name here
}

// Media is one m= line as offered, kept so an answer can refuse it in place.
type Media struct {
	Type    string // audio, video, image, application, ...
	Port    int
	Proto   string
	Formats string // the format list as written, space separated
}

// Session holds the parts of an SDP body a relay needs.
type Session struct {
	Origin Origin
	// Addr is the c= address of the audio stream; media-level c= wins over
	// session-level. 0.0.0.0 is old-style hold (RFC 2543).
	Addr netip.Addr
	// Port is the audio m= port; 0 means the stream is refused.
	Port  int
	Proto string
	// Codecs are the audio formats in offer order, telephone-event excluded.
	Codecs []Codec
	// DTMF is the telephone-event/8000 format if one was offered.
	DTMF *Codec
	// Direction is media-level if given, else session-level, else sendrecv.
	Direction Direction
	// PTime is a=ptime in milliseconds, 0 if absent.
	PTime int
	// Crypto are the audio stream's a=crypto lines in offer order (SDES).
	Crypto []Crypto
	// HasVideo is true when any m=video line is present.
	HasVideo bool
	// Media is every m= line in order; Media[AudioIndex] is the audio stream
	// described above.
	Media      []Media
	AudioIndex int
}
