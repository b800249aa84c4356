package callevent

// Each listener implements the interfaces of the events it wants, and only
// those. Methods are called outside the call's lock, in order per call, and
// must return quickly.

// RingObserver hears extensions start ringing.
type RingObserver interface {
	CallRinging(Ringing)
}

// AnswerObserver hears calls answered.
type AnswerObserver interface {
	CallAnswered(Answered)
}

// HoldObserver hears calls put on hold and taken off it.
type HoldObserver interface {
	CallHold(Hold)
}

// EndObserver hears calls ended.
type EndObserver interface {
	CallEnded(Ended)
}

// TransferObserver hears transfers.
type TransferObserver interface {
	CallTransfer(Transfer)
}

// MediaObserver hears calls answered together with their media, to tap the
// audio (the recorder). The Media is valid until the call is answered
// again or ends.
type MediaObserver interface {
	CallMedia(Answered, Media)
}

// Media is a call's audio, for taps.
type Media interface {
	// SetTap attaches t to both legs of the call, replacing the tap before
	// it; nil detaches.
	SetTap(t Tap)
}

// Tap receives a call's RTP packets as relayed. It runs on the relay's
// reader goroutine: it must not block, and must copy what it keeps.
type Tap interface {
	// OnRTP is given one packet from leg LegCaller or LegCallee.
	OnRTP(leg int, pkt []byte)
}

// The legs a Tap is given packets from.
const (
	LegCaller = 0 // the caller's side (the B2BUA's leg A)
	LegCallee = 1 // the callee's side (leg B)
)
