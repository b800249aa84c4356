package protocol

// The browser agent's media session (docs/cti.md, "WebRTC"): signalling
// for the browser's one persistent peer connection rides on the CTI.
const (
	CmdWebRTCOpen    = "webrtc.open"
	CmdWebRTCClose   = "webrtc.close"
	EventWebRTCState = "webrtc.state"
)

// Devices an offered call rings (CallRinging.Device).
const (
	DeviceBrowser = "browser" // the agent's browser session; a desk phone leaves Device empty
)

// maxSDPBytes bounds an offer in a CTI frame; the PBX checks the SDP itself.
const maxSDPBytes = 64 << 10

// WebRTCOpen is the data of webrtc.open: the browser's complete offer
// (ICE gathering finished), for Agent (the principal's own by default).
type WebRTCOpen struct {
	Agent string `json:"agent,omitempty"`
	SDP   string `json:"sdp"`
}

// Validate checks the required fields.
func (o WebRTCOpen) Validate() error {
	if err := checkID("agent", o.Agent, false); err != nil {
		return err
	}
	if o.SDP == "" {
		return missing("sdp")
	}
	if len(o.SDP) > maxSDPBytes {
		return invalid("sdp is %d bytes, more than %d", len(o.SDP), maxSDPBytes)
	}
	return nil
}

// WebRTCAnswer is the ok data of webrtc.open: the PBX's answer.
type WebRTCAnswer struct {
	SDP string `json:"sdp"`
}

// WebRTCClose is the data of webrtc.close.
type WebRTCClose struct {
	Agent string `json:"agent,omitempty"`
}

// Validate checks the agent id if given.
func (c WebRTCClose) Validate() error { return checkID("agent", c.Agent, false) }

// WebRTC session states (WebRTCState.State).
const (
	WebRTCConnected   = "connected"
	WebRTCReattaching = "reattaching"
	WebRTCClosed      = "closed"
)

// WebRTCState is the data of webrtc.state: the agent's browser session
// connected, waiting to be re-opened (reattaching: its call's customer
// hears a hold tone), or closed.
type WebRTCState struct {
	Agent string `json:"agent"`
	State string `json:"state"`
}
