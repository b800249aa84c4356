package webrtc

import (
	"strings"

	pion "github.com/pion/webrtc/v4"
)

// g711 is one of the two codecs a browser session may carry: the relay
// forwards payloads untouched, so the browser must speak what the other
// party speaks.
type g711 struct {
	name string // as SDP spells it
	pt   uint8  // static payload type (RFC 3551)
	mime string
}

var (
	pcmu = g711{name: "PCMU", pt: 0, mime: pion.MimeTypePCMU}
	pcma = g711{name: "PCMA", pt: 8, mime: pion.MimeTypePCMA}
)

func g711ByName(name string) (g711, bool) {
	switch strings.ToUpper(name) {
	case "PCMU":
		return pcmu, true
	case "PCMA":
		return pcma, true
	}
	return g711{}, false
}

func (c g711) parameters() pion.RTPCodecParameters {
	return pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: c.mime, ClockRate: 8000, Channels: 1},
		PayloadType:        pion.PayloadType(c.pt),
	}
}
