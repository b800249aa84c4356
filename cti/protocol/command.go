package protocol

// Ping is the (empty) data of ping.
type Ping struct{}

// Validate accepts anything.
func (Ping) Validate() error { return nil }

// NewCommandData returns a pointer to the zero data of a command type, ready
// for Envelope.Decode and Validate; ok is false for an unknown type.
func NewCommandData(typ string) (v Validator, ok bool) {
	switch typ {
	case CmdAuth:
		return &Auth{}, true
	case CmdPing:
		return &Ping{}, true
	case CmdSubscribe, CmdUnsubscribe:
		return &Subscribe{}, true
	case CmdAgentLogin, CmdAgentLogout, CmdAgentReady, CmdAgentWrapUpDone:
		return &AgentRef{}, true
	case CmdAgentNotReady:
		return &NotReady{}, true
	case CmdCallAnswer, CmdCallHangup, CmdCallHold, CmdCallUnhold, CmdCallConsultCancel:
		return &CallRef{}, true
	case CmdCallDial:
		return &Dial{}, true
	case CmdCallTransfer:
		return &Transfer{}, true
	case CmdCallConference:
		return &Conference{}, true
	case CmdCallConsult:
		return &Consult{}, true
	case CmdCallDTMF:
		return &DTMF{}, true
	case CmdSupervisorListen, CmdSupervisorWhisper, CmdSupervisorBarge:
		return &Monitor{}, true
	case CmdSupervisorForceState:
		return &ForceState{}, true
	case CmdScreenPop:
		return &ScreenPop{}, true
	case CmdWebRTCOpen:
		return &WebRTCOpen{}, true
	case CmdWebRTCClose:
		return &WebRTCClose{}, true
	case CmdWallboardSnapshot:
		return &SnapshotRequest{}, true
	}
	return nil, false
}

// ParseCommand decodes and validates a client message in one step: the
// envelope, then its data for the command's type.
func ParseCommand(raw []byte) (Envelope, Validator, *Error) {
	env, perr := DecodeRequest(raw)
	if perr != nil {
		return env, nil, perr
	}
	v, ok := NewCommandData(env.Type)
	if !ok {
		return env, nil, &Error{Code: CodeUnknownType, Message: "unknown type " + quoteShort(env.Type)}
	}
	if err := env.Decode(v); err != nil {
		return env, nil, err.(*Error)
	}
	if err := v.Validate(); err != nil {
		if pe, ok := err.(*Error); ok {
			return env, nil, pe
		}
		return env, nil, &Error{Code: CodeBadRequest, Message: err.Error()}
	}
	return env, v, nil
}

func quoteShort(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s) && i < MaxTypeLen; i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			c = '?'
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}
