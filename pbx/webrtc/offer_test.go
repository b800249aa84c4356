package webrtc

import (
	"errors"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

// chromeOffer is the shape of Chrome's audio-only offer.
const chromeOffer = "v=0\r\no=- 4215775240449105457 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
	"a=msid-semantic: WMS\r\nm=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 192.168.1.20\r\n" +
	"a=rtcp:9 IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0\r\n" +
	"a=ice-ufrag:Fk3x\r\na=ice-pwd:bT3JkqZ4QZ8sP2m1vY6uWcEa\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 9B:0E:6F:1D:3A:42:57:8C:AA:01:F2:33:64:15:D6:07:88:E9:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"a=rtpmap:63 red/48000/2\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\n" +
	"a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n"

func TestCheckOffer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offer  string
		prefer []string
		want   string // codec, or the error's words
	}{
		{"Chrome, PCMA first", chromeOffer, []string{"PCMA", "PCMU"}, "PCMA"},
		{"Chrome, PCMU first", chromeOffer, []string{"PCMU", "PCMA"}, "PCMU"},
		{"static type without rtpmap", strings.Replace(chromeOffer, "a=rtpmap:8 PCMA/8000\r\n", "", 1), []string{"PCMA"}, "PCMA"},
		{"PCMA listed but mapped away", strings.Replace(chromeOffer, "a=rtpmap:8 PCMA/8000", "a=rtpmap:8 opus/48000/2", 1), []string{"PCMA"}, "no G.711 codec offered"},
		{"Opus only", strings.NewReplacer(" 0 8 13", " 13", "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", "").Replace(chromeOffer), []string{"PCMA", "PCMU"}, "no G.711 codec offered"},
		{"plain RTP", strings.Replace(chromeOffer, "UDP/TLS/RTP/SAVPF", "RTP/AVP", 1), []string{"PCMA"}, "not DTLS-SRTP"},
		{"no fingerprint", strings.Replace(chromeOffer, "a=fingerprint:", "a=x-fingerprint:", 1), []string{"PCMA"}, "no DTLS fingerprint"},
		{"no ICE", strings.Replace(chromeOffer, "a=ice-ufrag:", "a=x-ufrag:", 1), []string{"PCMA"}, "no ICE credentials"},
		{"audio refused", strings.Replace(chromeOffer, "m=audio 54400", "m=audio 0", 1), []string{"PCMA"}, "no audio section"},
		{"video only", strings.Replace(chromeOffer, "m=audio", "m=video", 1), []string{"PCMA"}, "no audio section"},
		{"not SDP", "hello", []string{"PCMA"}, "not SDP"},
		{"empty", "", []string{"PCMA"}, "empty"},
		{"too big", chromeOffer + strings.Repeat("a=x:y\r\n", maxOfferBytes/7), []string{"PCMA"}, "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := checkOffer(tc.offer, tc.prefer)
			if err != nil {
				if !errors.Is(err, errs.ErrInvalid) {
					t.Errorf("error %v does not wrap ErrInvalid", err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q, want %q", err, tc.want)
				}
				return
			}
			if c.codec.name != tc.want {
				t.Errorf("codec %s, want %s", c.codec.name, tc.want)
			}
			if c.video {
				t.Errorf("an audio-only offer taken for video")
			}
		})
	}
}

// FuzzCheckOffer: any offer either yields a G.711 codec or an ErrInvalid
// error, never a panic or a codec outside the preference list.
func FuzzCheckOffer(f *testing.F) {
	f.Add(chromeOffer)
	f.Add("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8\r\na=fingerprint:x\r\na=ice-ufrag:u\r\n")
	f.Add("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		c, err := checkOffer(offer, []string{"PCMA"})
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if c.codec != pcma {
			t.Fatalf("codec %+v not asked for", c.codec)
		}
	})
}

// chromeVideoOffer is Chrome's offer with the camera on: audio, then video
// with VP8, VP9 and H.264.
const chromeVideoOffer = chromeOffer + "m=video 9 UDP/TLS/RTP/SAVPF 96 98 102\r\nc=IN IP4 0.0.0.0\r\n" +
	"a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Fk3x\r\na=ice-pwd:bT3JkqZ4QZ8sP2m1vY6uWcEa\r\n" +
	"a=fingerprint:sha-256 9B:0E:6F:1D:3A:42:57:8C:AA:01:F2:33:64:15:D6:07:88:E9:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7\r\n" +
	"a=setup:actpass\r\na=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n" +
	"a=rtpmap:98 VP9/90000\r\na=rtpmap:102 H264/90000\r\n"

// Video counts only as a live DTLS-SRTP section that offers VP8, the one
// codec two browsers are always made to agree on; the audio rules hold
// whatever the video section says.
func TestCheckOfferVideo(t *testing.T) {
	for _, tc := range []struct {
		name  string
		offer string
		video bool
	}{
		{"camera on", chromeVideoOffer, true},
		{"video refused", strings.Replace(chromeVideoOffer, "m=video 9", "m=video 0", 1), false},
		{"no VP8", strings.Replace(chromeVideoOffer, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 AV1/90000", 1), false},
		{"VP8 mapped but not listed", strings.Replace(chromeVideoOffer, "SAVPF 96 98 102", "SAVPF 98 102", 1), false},
		{"plain RTP video", strings.Replace(chromeVideoOffer, "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := checkOffer(tc.offer, []string{"PCMA"})
			if err != nil {
				t.Fatal(err)
			}
			if o.video != tc.video || o.codec != pcma {
				t.Errorf("video %v codec %s, want video %v and PCMA", o.video, o.codec.name, tc.video)
			}
		})
	}
	if _, err := checkOffer(strings.Replace(chromeVideoOffer, "m=audio 54400", "m=audio 0", 1), []string{"PCMA"}); err == nil {
		t.Error("video without audio accepted")
	}
}
