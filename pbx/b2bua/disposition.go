package b2bua

// Disposition is how a call attempt came out, as its CDR records it. The
// names (String) are what the CDR table, the CTI's call.ended and the
// call_setups_total metric carry; docs/cdr.md lists them.
type Disposition uint8

// Dispositions the B2BUA gives a call. pbxstore adds one more,
// "interrupted", for a call a crash cut off.
const (
	DispositionAnswered         Disposition = iota + 1 // answered (by an extension, an application or the agent of a placed call)
	DispositionNoAnswer                                // nobody answered in the ring time; a placed call's number did not answer
	DispositionBusy                                    // every contact, or the number dialled, was busy
	DispositionCancelled                               // the caller gave up while it rang
	DispositionFailed                                  // the PBX could not set the call up (bad SDP, no media ports or a tenant over its call limit, no fork sent, an application that never answered)
	DispositionNotFound                                // no such extension
	DispositionUnavailable                             // the extension has no registration, or none of its contacts took the call
	DispositionRejectedCodec                           // no SDP offer, no codec in common, or every contact refused the offer
	DispositionRejected                                // refused: a monitor code from a non-supervisor, a caller over its call limit, or every contact declined
	DispositionAgentUnavailable                        // a call the PBX placed: the agent's phone did not answer or refused
)

var dispositionNames = [...]string{
	DispositionAnswered:         "answered",
	DispositionNoAnswer:         "no_answer",
	DispositionBusy:             "busy",
	DispositionCancelled:        "cancelled",
	DispositionFailed:           "failed",
	DispositionNotFound:         "not_found",
	DispositionUnavailable:      "unavailable",
	DispositionRejectedCodec:    "rejected_codec",
	DispositionRejected:         "rejected",
	DispositionAgentUnavailable: "agent_unavailable",
}

// String is the disposition as stored and sent.
func (d Disposition) String() string { return nameOf(dispositionNames[:], d) }

// Cause is why a call ended, as its CDR's hangup_cause records it (the
// side that ended it is recorded next to it). docs/cdr.md lists them.
type Cause uint8

// Causes the B2BUA gives a call's end. pbxstore adds "crash" (HangupCrash)
// for a call a crash cut off.
const (
	CauseBye               Cause = iota + 1 // a party hung up (BYE)
	CauseCancel                             // the caller cancelled while it rang
	CauseRejected                           // refused before answer: the INVITE up front, or every contact failed
	CauseRingTimeout                        // nobody answered within calls.ring_timeout
	CauseNoAck                              // the caller never acknowledged our 200
	CauseError                              // a transport or transaction failure (the caller's INVITE, the first INVITE out)
	CauseShutdown                           // still up when a drain ran out of time
	CauseMaxDuration                        // longer than calls.max_duration
	CauseMediaTimeout                       // no RTP either way for calls.media_timeout, hold excepted
	CauseAppHangup                          // the application (an IVR flow) hung up or ended
	CauseCTIHangup                          // hung up through the CTI or the admin API
	CauseTransferred                        // the call's party was joined into another call, which carries on
	CauseTransferFailed                     // a blind transfer's target did not answer and nothing took the caller back
	CauseTransferAbandoned                  // the PBX's call to a transfer target, given up (the other party left, or the join failed)
	CauseConsultAbandoned                   // the PBX's call to a consulted party, ended because the consulted-on call ended
	CauseConsultFailed                      // the PBX's call to a consulted party, ended because it did not answer
	CauseConsultCancelled                   // the PBX's call to a consulted party, ended because the agent went back or the party hung up
	CauseConferenceEnded                    // the third party's leg of a conference, ended with the conference
	CauseMonitorEnded                       // a supervisor's listen/whisper/barge leg, ended with the monitored call
	CauseCalleeNoAnswer                     // a call the PBX placed: the number dialled after the agent answered did not answer
	CauseAgentRejected                      // a call the PBX placed: the agent's phone refused it
	CauseAgentNoAnswer                      // a call the PBX placed: the agent's phone did not answer
	CauseReplaceFailed                      // the leg of an INVITE with Replaces, hung up because the join failed
	CauseSessionExpired                     // a carrier's session timer (RFC 4028) ran out: its refresh failed or never came
	CauseAgentGone                          // a browser agent's media session was not re-opened within webrtc.reattach_timeout
)

var causeNames = [...]string{
	CauseBye:               "bye",
	CauseCancel:            "cancel",
	CauseRejected:          "rejected",
	CauseRingTimeout:       "ring_timeout",
	CauseNoAck:             "no_ack",
	CauseError:             "error",
	CauseShutdown:          "shutdown",
	CauseMaxDuration:       "max_duration",
	CauseMediaTimeout:      "media_timeout",
	CauseAppHangup:         "app_hangup",
	CauseCTIHangup:         "cti_hangup",
	CauseTransferred:       "transferred",
	CauseTransferFailed:    "transfer_failed",
	CauseTransferAbandoned: "transfer_abandoned",
	CauseConsultAbandoned:  "consult_abandoned",
	CauseConsultFailed:     "consult_failed",
	CauseConsultCancelled:  "consult_cancelled",
	CauseConferenceEnded:   "conference_ended",
	CauseMonitorEnded:      "monitor_ended",
	CauseCalleeNoAnswer:    "callee_no_answer",
	CauseAgentRejected:     "agent_rejected",
	CauseAgentNoAnswer:     "agent_no_answer",
	CauseReplaceFailed:     "replace_failed",
	CauseSessionExpired:    "session_expired",
	CauseAgentGone:         "agent_gone",
}

// String is the cause as stored and sent.
func (c Cause) String() string { return nameOf(causeNames[:], c) }

// nameOf is v's entry in names, "" for a value outside it.
func nameOf[T ~uint8](names []string, v T) string {
	if int(v) < len(names) {
		return names[v]
	}
	return ""
}
