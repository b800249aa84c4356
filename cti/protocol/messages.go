package protocol

import (
	"fmt"
	"strings"
)

// Message types the hub sends.
const (
	TypeHello = "hello" // first message after authentication
	TypeOK    = "ok"    // a command succeeded
	TypeError = "error" // a command failed, or the message could not be read

	EventAgentState      = "agent.state"
	EventAgentOverrun    = "agent.overrun"
	EventCallRinging     = "call.ringing"
	EventCallAnswered    = "call.answered"
	EventCallHeld        = "call.held"
	EventCallResumed     = "call.resumed"
	EventCallTransferred = "call.transferred"
	EventCallConsult     = "call.consult"
	EventCallEnded       = "call.ended"
	EventCallOverflowed  = "call.overflowed"
	EventCallbackCreated = "callback.created"
	EventQueueStats      = "queue.stats"
	EventScreenPop       = "screenpop"

	EventRecordingReady    = "recording.ready"
	EventVoicemailRecorded = "voicemail.recorded"
	EventCallSurvey        = "call.survey"
	EventTrunkState        = "trunk.state"
)

// Commands a client sends.
const (
	CmdAuth        = "auth" // first message when no Authorization header was sent
	CmdPing        = "ping"
	CmdSubscribe   = "subscribe"
	CmdUnsubscribe = "unsubscribe"

	CmdAgentLogin      = "agent.login"
	CmdAgentLogout     = "agent.logout"
	CmdAgentReady      = "agent.ready"
	CmdAgentNotReady   = "agent.notready"
	CmdAgentWrapUpDone = "agent.wrapup.done"

	CmdCallAnswer   = "call.answer"
	CmdCallHangup   = "call.hangup"
	CmdCallDial     = "call.dial"
	CmdCallHold     = "call.hold"
	CmdCallUnhold   = "call.unhold"
	CmdCallTransfer = "call.transfer"
	// CmdCallConsult holds the other party and rings to (attended transfer,
	// step 1); call.transfer mode attended completes it, call.consult_cancel
	// goes back, call.conference with the same to joins all three.
	CmdCallConsult       = "call.consult"
	CmdCallConsultCancel = "call.consult_cancel"
	CmdCallConference    = "call.conference"
	CmdCallDTMF          = "call.dtmf"

	CmdSupervisorListen     = "supervisor.listen"
	CmdSupervisorWhisper    = "supervisor.whisper"
	CmdSupervisorBarge      = "supervisor.barge"
	CmdSupervisorForceState = "supervisor.force_state"

	CmdScreenPop = "screenpop"
)

// Roles a principal may hold.
const (
	RoleAgent      = "agent"      // acts for their own agent id
	RoleSupervisor = "supervisor" // watches the tenant, monitors calls, forces states
	RoleSystem     = "system"     // the OA: acts for any agent, publishes screen pops
	RoleWallboard  = "wallboard"  // reads the tenant's events
)

// --- server → client ---

// Hello opens every session.
type Hello struct {
	Epoch           string   `json:"epoch"` // changes when the hub restarts; seqs restart with it
	Tenant          string   `json:"tenant"`
	Agent           string   `json:"agent,omitempty"`
	Roles           []string `json:"roles"`
	Seq             uint64   `json:"seq"` // the tenant's latest seq
	ReplayWindow    int      `json:"replay_window"`
	MaxMessageBytes int64    `json:"max_message_bytes"`
	RatePerSecond   float64  `json:"rate_per_second"`
}

// Subscribed is the ok data of subscribe and unsubscribe.
type Subscribed struct {
	Topics   []string `json:"topics"`
	Seq      uint64   `json:"seq"`      // the tenant's latest seq when the subscription took effect
	Replayed int      `json:"replayed"` // events sent again because of since
}

// AgentState is the data of agent.state.
type AgentState struct {
	Agent         string   `json:"agent"`
	Name          string   `json:"name,omitempty"`
	Endpoint      string   `json:"endpoint,omitempty"`
	State         string   `json:"state"`
	Prev          string   `json:"prev,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Since         string   `json:"since"`
	Call          string   `json:"call,omitempty"`
	Queue         string   `json:"queue,omitempty"`
	Pending       string   `json:"pending,omitempty"`
	Queues        []string `json:"queues,omitempty"`
	AnsweredToday int      `json:"answered_today"`
	NoAnswer      int      `json:"no_answer"`
	// WrapUpUntil: in wrap_up, when it ends by itself (a countdown for the bar).
	WrapUpUntil string `json:"wrap_up_until,omitempty"`
	// Today's work since the tenant's local midnight, kept by the PBX so a
	// reloaded bar shows the same figures: calls finished (queue and
	// placed), their time on the call (hold included), after-call work, and
	// the average handle time (talk + wrap-up) ÷ handled, 0 before the first.
	HandledToday int `json:"handled_today"`
	TalkTodayS   int `json:"talk_today_s"`
	WrapUpTodayS int `json:"wrap_up_today_s"`
	AHTS         int `json:"aht_s"`
	// ReasonMaxS: not ready, the reason's maximum (0: none); Overrun is
	// true once the break outlasted it (agent.overrun was sent).
	ReasonMaxS int  `json:"reason_max_s,omitempty"`
	Overrun    bool `json:"overrun,omitempty"`
	// Satisfaction today after the agent's queue calls: surveys asked,
	// answered, and the mean score (null before the first answer).
	SurveysToday       int      `json:"surveys_today"`
	SurveyAnswersToday int      `json:"survey_answers_today"`
	Satisfaction       *float64 `json:"satisfaction"`
}

// AgentOverrun is the data of agent.overrun: an agent's break outlasted its
// reason's maximum. It goes to the agent's and their queues' followers
// (supervisors, wallboards) once per break.
type AgentOverrun struct {
	Agent  string   `json:"agent"`
	Name   string   `json:"name,omitempty"`
	Reason string   `json:"reason"`
	Since  string   `json:"since"` // when the break began
	MaxS   int      `json:"max_s"`
	Queues []string `json:"queues,omitempty"`
}

// CallRinging is the data of call.ringing: a call offered to an agent, by a
// queue, or ringing the agent's extension directly or by a transfer (Queue
// empty unless the call came through one).
type CallRinging struct {
	Call     string            `json:"call"`
	Agent    string            `json:"agent"`
	Queue    string            `json:"queue"`
	Caller   string            `json:"caller"`
	DID      string            `json:"did,omitempty"`
	Priority int               `json:"priority,omitempty"`
	VIP      bool              `json:"vip,omitempty"`
	WaitS    int               `json:"wait_s"`
	Vars     map[string]string `json:"vars,omitempty"`
	Callback string            `json:"callback,omitempty"` // the number to call back, for a callback request
	Device   string            `json:"device,omitempty"`   // "browser" when it rings the agent's browser session (DeviceBrowser)
}

// CallAnswered is the data of call.answered.
type CallAnswered struct {
	Call     string `json:"call"`
	Agent    string `json:"agent,omitempty"`
	Queue    string `json:"queue,omitempty"`
	Caller   string `json:"caller"`
	Callee   string `json:"callee"`
	Answered string `json:"answered"`
}

// CallHold is the data of call.held and call.resumed.
type CallHold struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
}

// CallTransferred is the data of call.transferred.
type CallTransferred struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
	To    string `json:"to"`
	Mode  string `json:"mode"` // blind or attended
}

// CallConsult is the data of call.consult: how a consultation goes.
type CallConsult struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
	To    string `json:"to"`
	// State is ringing, answered, failed (the target did not answer or was
	// busy: the agent is back with the other party), cancelled (by the
	// agent, or the target hung up) or conferenced; a completed one is
	// reported as call.transferred.
	State string `json:"state"`
	Code  int    `json:"code,omitempty"` // the target's SIP code when failed
}

// CallEnded is the data of call.ended: the CDR with the ACD's view added.
type CallEnded struct {
	Call        string `json:"call"`
	Agent       string `json:"agent,omitempty"`
	Queue       string `json:"queue,omitempty"`
	Caller      string `json:"caller"`
	Callee      string `json:"callee"`
	Start       string `json:"start"`
	Answer      string `json:"answer,omitempty"`
	End         string `json:"end"`
	WaitS       int    `json:"wait_s,omitempty"`
	RingS       int    `json:"ring_s"`
	TalkS       int    `json:"talk_s"`
	HoldS       int    `json:"hold_s"`
	Disposition string `json:"disposition"`
	HangupSide  string `json:"hangup_side"`
	HangupCause string `json:"hangup_cause"`
	SIPCode     int    `json:"sip_code"`
}

// CallOverflowed is the data of call.overflowed.
type CallOverflowed struct {
	Call  string `json:"call"`
	Queue string `json:"queue"`
	To    string `json:"to"` // "queue:complaints", "voicemail:800", …
}

// CallbackCreated is the data of callback.created.
type CallbackCreated struct {
	Call   string `json:"call"`
	Queue  string `json:"queue"`
	Number string `json:"number"`
}

// QueueStats is the data of queue.stats.
type QueueStats struct {
	Queue         string         `json:"queue"`
	Name          string         `json:"name,omitempty"`
	Waiting       int            `json:"waiting"`
	Callbacks     int            `json:"callbacks"`
	Oldest        string         `json:"oldest,omitempty"` // arrival of the longest-waiting caller
	LongestWaitS  int            `json:"longest_wait_s"`
	ExpectedWaitS int            `json:"expected_wait_s"`
	Agents        map[string]int `json:"agents"` // members by state
	// ServiceLevel is answered within sl_threshold_s over sl_calls, the
	// calls decided against the threshold today (docs/cti.md gives the
	// rule); null while sl_calls is 0: nothing measured is not 100 %.
	ServiceLevel *float64 `json:"service_level"`
	SLCalls      int      `json:"sl_calls"`
	SLThresholdS int      `json:"sl_threshold_s"`
	// SLAbandons is how abandons count: short (those under
	// short_abandon_s are left out, the rest fail), failures or ignored.
	SLAbandons      string `json:"sl_abandons"`
	ShortAbandonS   int    `json:"short_abandon_s"`
	AnsweredToday   int    `json:"answered_today"`
	AbandonedToday  int    `json:"abandoned_today"`
	OverflowedToday int    `json:"overflowed_today"`
	CallbacksToday  int    `json:"callbacks_today"`
	// OfferedToday counts the callers who entered the queue today:
	// answered, abandoned, overflowed, booked a callback, or waiting now.
	OfferedToday int `json:"offered_today"`
	// ASAS is the average speed of answer today: the answered calls'
	// queue waits over their number (0 before the first answer).
	ASAS int `json:"asa_s"`
	// Satisfaction today after the queue's answered calls: surveys asked,
	// answered, and the mean score (null before the first answer).
	SurveysToday       int      `json:"surveys_today"`
	SurveyAnswersToday int      `json:"survey_answers_today"`
	Satisfaction       *float64 `json:"satisfaction"`
}

// ScreenPop is the data of the screenpop command and event.
type ScreenPop struct {
	Agent  string            `json:"agent"`
	Call   string            `json:"call,omitempty"`
	Title  string            `json:"title,omitempty"`
	URL    string            `json:"url,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// The next three were first published as JSON objects built from maps,
// whose keys encoding/json sorts: their fields are declared in the order of
// their keys, so the bytes on the wire stay the same.

// TrunkState is the data of trunk.state: one of the tenant's carrier
// trunks went up or down (docs/trunks.md says when).
type TrunkState struct {
	Trunk  string `json:"trunk"`
	State  string `json:"state"`  // up or down
	Reason string `json:"reason"` // what the carrier last did: "registered", "options unanswered" …
	Since  string `json:"since"`  // RFC 3339
}

// RecordingReady is the data of recording.ready: a call's recording is
// final (its checksum taken) and can be fetched from URL.
type RecordingReady struct {
	Agent     string  `json:"agent"`
	Call      string  `json:"call_id"`
	Caller    string  `json:"caller"` // masked
	DurationS float64 `json:"duration_s"`
	ID        string  `json:"id"`
	Queue     string  `json:"queue"`
	Size      int64   `json:"size"` // bytes
	SM3       string  `json:"sm3"`  // hex checksum of the file as stored
	State     string  `json:"state"`
	URL       string  `json:"url"` // the audio, on the PBX's HTTP API
}

// VoicemailRecorded is the data of voicemail.recorded: an IVR flow stored
// a caller's message.
type VoicemailRecorded struct {
	Call      string            `json:"call_id"`
	Caller    string            `json:"caller"`
	DurationS float64           `json:"duration_s"`
	ID        string            `json:"id"`
	Mailbox   string            `json:"mailbox"`
	Vars      map[string]string `json:"vars"` // the flow's variables when it recorded
}

// CallSurvey is the data of call.survey: the post-call satisfaction
// question was asked.
type CallSurvey struct {
	Answered bool   `json:"answered"`
	Call     string `json:"call_id"`
	Flow     string `json:"flow"`
	Score    *int   `json:"score"` // null when the caller did not answer
}

// EventData returns a zero value of the data type of every event the hub
// sends, by type: what the documentation and the clients decode against.
func EventData() map[string]any {
	return map[string]any{
		EventAgentState:        AgentState{},
		EventAgentOverrun:      AgentOverrun{},
		EventCallRinging:       CallRinging{},
		EventCallAnswered:      CallAnswered{},
		EventCallHeld:          CallHold{},
		EventCallResumed:       CallHold{},
		EventCallTransferred:   CallTransferred{},
		EventCallConsult:       CallConsult{},
		EventCallEnded:         CallEnded{},
		EventCallOverflowed:    CallOverflowed{},
		EventCallbackCreated:   CallbackCreated{},
		EventQueueStats:        QueueStats{},
		EventScreenPop:         ScreenPop{},
		EventRecordingReady:    RecordingReady{},
		EventVoicemailRecorded: VoicemailRecorded{},
		EventCallSurvey:        CallSurvey{},
		EventTrunkState:        TrunkState{},
		EventWebRTCState:       WebRTCState{},
	}
}

// --- client → server ---

// Validator is implemented by command data that has required fields.
type Validator interface{ Validate() error }

func missing(field string) error {
	return &Error{Code: CodeBadRequest, Message: field + " is required"}
}

func invalid(format string, a ...any) error {
	return &Error{Code: CodeBadRequest, Message: fmt.Sprintf(format, a...)}
}

func checkID(field, v string, required bool) error {
	if v == "" {
		if required {
			return missing(field)
		}
		return nil
	}
	if !ValidID(v) {
		return invalid("%s %q is not a valid id", field, shorten(v))
	}
	return nil
}

// Auth is the data of auth.
type Auth struct {
	Token string `json:"token"`
}

// Validate checks the required fields.
func (a Auth) Validate() error {
	if a.Token == "" {
		return missing("token")
	}
	return nil
}

// Subscribe is the data of subscribe and unsubscribe. Since (subscribe
// only, on a connection's first subscribe) replays the events after that
// seq; Epoch, when given, must match the hub's.
type Subscribe struct {
	Topics []string `json:"topics"`
	Since  *uint64  `json:"since,omitempty"`
	Epoch  string   `json:"epoch,omitempty"`
}

// MaxTopics bounds one subscribe.
const MaxTopics = 256

// Validate checks the required fields.
func (s Subscribe) Validate() error {
	if len(s.Topics) == 0 {
		return missing("topics")
	}
	if len(s.Topics) > MaxTopics {
		return invalid("at most %d topics", MaxTopics)
	}
	for _, t := range s.Topics {
		if _, err := ParseTopic(t); err != nil {
			return invalid("%v", err)
		}
	}
	return nil
}

// AgentRef is the data of agent.login, agent.logout, agent.ready and
// agent.wrapup.done; Agent defaults to the principal's own agent.
type AgentRef struct {
	Agent string `json:"agent,omitempty"`
}

// Validate checks the fields.
func (a AgentRef) Validate() error { return checkID("agent", a.Agent, false) }

// NotReady is the data of agent.notready.
type NotReady struct {
	Agent  string `json:"agent,omitempty"`
	Reason string `json:"reason"`
}

// Validate checks the required fields.
func (n NotReady) Validate() error {
	if n.Reason == "" {
		return missing("reason")
	}
	if len(n.Reason) > 64 {
		return invalid("reason longer than 64 bytes")
	}
	return checkID("agent", n.Agent, false)
}

// CallRef is the data of call.answer, call.hangup, call.hold and call.unhold.
type CallRef struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
}

// Validate checks the required fields.
func (c CallRef) Validate() error {
	if err := checkID("call", c.Call, true); err != nil {
		return err
	}
	return checkID("agent", c.Agent, false)
}

// Dial is the data of call.dial: ring the agent's endpoint, then To.
type Dial struct {
	Agent    string `json:"agent,omitempty"`
	To       string `json:"to"`
	CallerID string `json:"caller_id,omitempty"`
}

// Validate checks the required fields.
func (d Dial) Validate() error {
	if d.To == "" {
		return missing("to")
	}
	if !validNumber(d.To) {
		return invalid("to must be an extension or a number")
	}
	if d.CallerID != "" && !validNumber(d.CallerID) {
		return invalid("caller_id must be a number")
	}
	return checkID("agent", d.Agent, false)
}

// DialResult is the ok data of call.dial and the supervisor commands.
type DialResult struct {
	Call string `json:"call"`
}

// Transfer is the data of call.transfer. Blind moves the other party to To
// at once; attended completes the consultation started with call.consult
// (To may be left out; when given it must be the party consulted).
type Transfer struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
	To    string `json:"to,omitempty"`
	Mode  string `json:"mode"` // blind or attended
}

// Validate checks the required fields.
func (t Transfer) Validate() error {
	if err := (CallRef{Call: t.Call, Agent: t.Agent}).Validate(); err != nil {
		return err
	}
	if t.Mode != "blind" && t.Mode != "attended" {
		return invalid("mode must be blind or attended")
	}
	if t.To == "" && t.Mode == "blind" {
		return missing("to")
	}
	if t.To != "" && !validNumber(t.To) {
		return invalid("to must be an extension or a number")
	}
	return nil
}

// Consult is the data of call.consult: hold the other party, ring To.
type Consult struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
	To    string `json:"to"`
}

// Validate checks the required fields.
func (c Consult) Validate() error {
	return Conference(c).Validate()
}

// Conference is the data of call.conference: add To to the call.
type Conference struct {
	Call  string `json:"call"`
	Agent string `json:"agent,omitempty"`
	To    string `json:"to"`
}

// Validate checks the required fields.
func (c Conference) Validate() error {
	if err := (CallRef{Call: c.Call, Agent: c.Agent}).Validate(); err != nil {
		return err
	}
	if c.To == "" {
		return missing("to")
	}
	if !validNumber(c.To) {
		return invalid("to must be an extension or a number")
	}
	return nil
}

// DTMF is the data of call.dtmf.
type DTMF struct {
	Call   string `json:"call"`
	Agent  string `json:"agent,omitempty"`
	Digits string `json:"digits"`
}

// Validate checks the required fields.
func (d DTMF) Validate() error {
	if err := (CallRef{Call: d.Call, Agent: d.Agent}).Validate(); err != nil {
		return err
	}
	if d.Digits == "" {
		return missing("digits")
	}
	if len(d.Digits) > 32 || strings.Trim(d.Digits, "0123456789*#ABCD") != "" {
		return invalid("digits: up to 32 of 0-9 * # A-D")
	}
	return nil
}

// Monitor is the data of supervisor.listen, supervisor.whisper and
// supervisor.barge: the supervisor's endpoint joins the agent's call.
type Monitor struct {
	Agent string `json:"agent"`
}

// Validate checks the required fields.
func (m Monitor) Validate() error { return checkID("agent", m.Agent, true) }

// ForceState is the data of supervisor.force_state.
type ForceState struct {
	Agent  string `json:"agent"`
	State  string `json:"state"` // ready, not_ready or logged_out
	Reason string `json:"reason,omitempty"`
}

// Validate checks the required fields.
func (f ForceState) Validate() error {
	if err := checkID("agent", f.Agent, true); err != nil {
		return err
	}
	switch f.State {
	case "ready", "logged_out":
	case "not_ready":
		if f.Reason == "" {
			return missing("reason")
		}
	case "":
		return missing("state")
	default:
		return invalid("state must be ready, not_ready or logged_out")
	}
	if len(f.Reason) > 64 {
		return invalid("reason longer than 64 bytes")
	}
	return nil
}

// MaxScreenPopFields bounds a screen pop's fields.
const MaxScreenPopFields = 64

// Validate checks the required fields.
func (s ScreenPop) Validate() error {
	if err := checkID("agent", s.Agent, true); err != nil {
		return err
	}
	if err := checkID("call", s.Call, false); err != nil {
		return err
	}
	if len(s.Fields) > MaxScreenPopFields {
		return invalid("at most %d fields", MaxScreenPopFields)
	}
	if s.URL != "" && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "/") {
		return invalid("url must be http(s) or a path")
	}
	return nil
}

func validNumber(n string) bool {
	if n == "" || len(n) > 32 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= '0' && c <= '9' || c == '+' && i == 0 || c == '*' || c == '#') {
			return false
		}
	}
	return true
}
