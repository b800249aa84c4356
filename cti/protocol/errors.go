package protocol

// Error codes in an error reply.
const (
	CodeBadRequest   = "bad_request"  // malformed JSON, missing or invalid fields
	CodeUnknownType  = "unknown_type" // no such command
	CodeUnauthorized = "unauthorized" // no or bad token
	CodeForbidden    = "forbidden"    // the principal's roles do not allow it
	CodeNotFound     = "not_found"    // no such agent, call or queue
	CodeConflict     = "conflict"     // not possible in the current state
	CodeUnavailable  = "unavailable"  // the PBX side is not there (yet)
	CodeUnsupported  = "unsupported"  // the endpoint cannot do it (e.g. no remote answer)
	CodeRateLimited  = "rate_limited" // too many messages; this one was dropped
	CodeReplayGap    = "replay_gap"   // the events after since are no longer kept
	CodeTimeout      = "timeout"      // the command took too long
	CodeInternal     = "internal"     // a bug; the hub logged it
)

// Error is the data of an error reply.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Close codes the hub uses beyond the standard ones (1000 normal, 1001
// going away, 1009 message too big).
const (
	CloseUnauthorized = 4001 // no or bad token, or auth not sent in time
	CloseSlowConsumer = 4008 // the client did not read fast enough
)
