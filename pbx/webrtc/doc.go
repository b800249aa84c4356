// Package webrtc owns the browser agent's media: one persistent WebRTC
// session per logged-in browser agent (ICE-lite on one UDP port, DTLS-SRTP
// with one certificate for the process, PCMA or PCMU only), and the SIP
// endpoint that stands for that browser towards the B2BUA. A call to the
// agent's extension reaches the browser as an ordinary SIP leg whose RTP
// peer is the session's socket, so the relay, recorder, supervision taps
// and IVR treat it exactly as a desk phone; the session copies packets
// between that socket and the browser's SRTP track without transcoding.
// When the browser goes away mid-call the customer hears a hold tone until
// the agent re-opens the session or Config.ReattachTimeout ends the call.
package webrtc
