package sdp

import "strings"

// crlf turns a readable LF sample into the CRLF body a UA sends.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// Offers as real user agents send them. The SIPp ones are the bodies of
// its built-in uac and uac_pcap scenarios with the keywords filled in.
const (
	sippUAC = `v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
`
	sippUACPcap = `v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6004 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-11,16
`
	yealink = `v=0
o=- 20022 20022 IN IP4 192.168.1.50
s=SDP data
c=IN IP4 192.168.1.50
t=0 0
m=audio 11796 RTP/AVP 0 8 18 9 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:9 G722/8000
a=fmtp:101 0-15
a=rtpmap:101 telephone-event/8000
a=ptime:20
a=sendrecv
`
	// Linphone leaves static payload types without rtpmap and offers
	// telephone-event at three clock rates, plus video.
	linphone = `v=0
o=alice 3006 1538 IN IP4 192.168.1.20
s=Talk
c=IN IP4 192.168.1.20
t=0 0
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
m=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 speex/16000
a=fmtp:97 vbr=on
a=rtpmap:98 speex/8000
a=fmtp:98 vbr=on
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
m=video 9078 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:96 nack pli
`
	zoiper = `v=0
o=Z 0 1 IN IP4 10.0.0.5
s=Z
c=IN IP4 10.0.0.5
t=0 0
m=audio 8000 RTP/AVP 106 9 98 101 0 8 3
a=rtpmap:106 opus/48000/2
a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1
a=rtpmap:98 telephone-event/48000
a=fmtp:98 0-16
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv
a=rtcp-mux
`
	// A browser offer after ICE gathering: media-level c= only, BUNDLE,
	// DTLS-SRTP profile and telephone-event on 126.
	webrtc = `v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS 5c4d1b3e
m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 203.0.113.7
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 192.168.1.10 rport 54321 generation 0
a=candidate:1467250027 1 udp 2122260223 192.168.1.10 54321 typ host generation 0
a=ice-ufrag:Qx4s
a=ice-pwd:9vJ3yQ1pH0Zq8Yb2u5Lx7mKc
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=msid:5c4d1b3e 1f0a2b3c
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:abcdEFGHijkl
`
	// Four streams: the audio one is second, and a T.38 image stream
	// shows a non-RTP format list.
	multiMedia = `v=0
o=- 1 1 IN IP4 10.1.1.1
s=-
c=IN IP4 10.1.1.1
t=0 0
m=video 5002 RTP/AVP 96
a=rtpmap:96 H264/90000
m=audio 5000 RTP/AVP 8 0 96
a=rtpmap:96 telephone-event/8000
m=image 5004 udptl t38
a=T38FaxVersion:0
m=application 5006 UDP/BFCP *
`
	sessionVsMediaConn = `v=0
o=- 7 7 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
a=sendonly
m=audio 4000 RTP/AVP 0
c=IN IP4 10.0.0.2
a=sendrecv
`
	oldHold = `v=0
o=- 7 8 IN IP4 10.0.0.1
s=-
c=IN IP4 0.0.0.0
t=0 0
m=audio 4000 RTP/AVP 0 8
`
	ipv6 = `v=0
o=- 9 9 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 4000 RTP/AVP 8
a=recvonly
a=ptime:30
`
)

// sampleOffers are all the good samples, for the fuzz seed corpus and
// round-trip tests.
func sampleOffers() []string {
	return []string{sippUAC, sippUACPcap, yealink, linphone, zoiper, webrtc, multiMedia, sessionVsMediaConn, oldHold, ipv6, baresipSRTP, deskPhoneSRTP}
}

// SRTP offers with SDES keys: baresip with mediaenc=srtp-mand, and a desk
// phone offering three suites, one with a lifetime and an MKI and one with
// a session parameter.
const (
	baresipSRTP = `v=0
o=- 1622453146 4035123211 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 10000 RTP/SAVP 8 0 101
b=AS:96
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=label:1
a=rtcp-rsize
a=ssrc:1431512591 cname:1a3ec2c1-6b4d-4a67-a2b5-d0ba9fd8d0f3
a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:GM4lG+ho5WzZy2NSuZnzOP6ifrW4HxoiXo/r6pBM
a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:dyh4WHt2TGX8TqgWRgrG8rOcFEu3LVxeJNZPxc+V
`
	deskPhoneSRTP = `v=0
o=- 20518 0 IN IP4 192.168.1.20
s=SDP data
c=IN IP4 192.168.1.20
t=0 0
m=audio 11780 RTP/SAVP 8 0 18 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4
a=crypto:2 AEAD_AES_128_GCM inline:bQJXGzEPXJPClrd78xwALdaZDs/dLttBLfLE5Q== UNENCRYPTED_SRTCP
a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20
a=ptime:20
a=sendrecv
`
)
