package webrtc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/yimen/yimen/internal/errs"
)

// maxOfferBytes bounds a browser's offer: Chrome's with every codec and a
// few candidates is under 8 KB.
const maxOfferBytes = 64 << 10

// errOffer wraps every refusal of an offer: the CTI turns ErrInvalid into
// bad_request with the message, which names what is wrong.
func errOffer(format string, a ...any) error {
	return fmt.Errorf("webrtc offer: "+format+": %w", append(a, errs.ErrInvalid)...)
}

// offered is what a browser's offer lets a session carry.
type offered struct {
	codec g711
	// video: the offer has a video section, not refused, over DTLS-SRTP,
	// that offers VP8 (video.go).
	video bool
}

// checkOffer reads a browser's SDP offer before any WebRTC state is built
// from it, and picks the G.711 codec the session will carry: the first of
// prefer the audio section offers. It wants DTLS-SRTP (a fingerprint and
// UDP/TLS/RTP/SAVPF), ICE credentials, and an audio section that is not
// refused. A video section is optional; it counts only with VP8.
func checkOffer(offer string, prefer []string) (offered, error) {
	if len(offer) == 0 {
		return offered{}, errOffer("empty")
	}
	if len(offer) > maxOfferBytes {
		return offered{}, errOffer("%d bytes, more than %d", len(offer), maxOfferBytes)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return offered{}, errOffer("not SDP: %v", err)
	}
	_, sessionFP := sd.Attribute("fingerprint")
	_, sessionUfrag := sd.Attribute("ice-ufrag")
	var audio *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 {
			audio = m
			break
		}
	}
	if audio == nil {
		return offered{}, errOffer("no audio section (m=audio) that is not refused")
	}
	if proto := strings.Join(audio.MediaName.Protos, "/"); !strings.Contains(proto, "SAVP") {
		return offered{}, errOffer("audio transport %s is not DTLS-SRTP (UDP/TLS/RTP/SAVPF)", proto)
	}
	if _, ok := audio.Attribute("fingerprint"); !ok && !sessionFP {
		return offered{}, errOffer("no DTLS fingerprint (a=fingerprint)")
	}
	if _, ok := audio.Attribute("ice-ufrag"); !ok && !sessionUfrag {
		return offered{}, errOffer("no ICE credentials (a=ice-ufrag)")
	}
	names := offeredNames(audio)
	for _, want := range prefer {
		c, ok := g711ByName(want)
		if ok && names[c.name] {
			return offered{codec: c, video: offersVP8(&sd)}, nil
		}
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	return offered{}, errOffer("no G.711 codec offered (the PBX relays %s without transcoding; offered %s)",
		strings.Join(prefer, "/"), strings.Join(list, ","))
}

// offeredNames are the upper-case encoding names of an audio section's
// formats, from a=rtpmap or, for the static types without one, RFC 3551.
func offeredNames(m *sdp.MediaDescription) map[string]bool {
	listed := map[string]bool{}
	for _, f := range m.MediaName.Formats {
		listed[f] = true
	}
	names := map[string]bool{}
	mapped := map[string]bool{}
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, ok := strings.Cut(a.Value, " ")
		if !ok || !listed[pt] {
			continue
		}
		mapped[pt] = true
		name, rest, _ := strings.Cut(enc, "/")
		rate, _, _ := strings.Cut(rest, "/")
		if rate == "8000" {
			names[strings.ToUpper(name)] = true
		}
	}
	for f := range listed {
		if mapped[f] {
			continue
		}
		switch n, err := strconv.Atoi(f); {
		case err != nil:
		case n == int(pcmu.pt):
			names[pcmu.name] = true
		case n == int(pcma.pt):
			names[pcma.name] = true
		}
	}
	return names
}

// offersVP8 reports whether sd has a video section, not refused, over
// DTLS-SRTP, with VP8 among its formats: the one video codec sessions
// carry, so any two browsers on a call agree without transcoding.
func offersVP8(sd *sdp.SessionDescription) bool {
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "video" || m.MediaName.Port.Value == 0 || !strings.Contains(strings.Join(m.MediaName.Protos, "/"), "SAVP") {
			continue
		}
		listed := map[string]bool{}
		for _, f := range m.MediaName.Formats {
			listed[f] = true
		}
		for _, a := range m.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			pt, enc, ok := strings.Cut(a.Value, " ")
			if ok && listed[pt] && strings.EqualFold(enc, "VP8/90000") {
				return true
			}
		}
	}
	return false
}
