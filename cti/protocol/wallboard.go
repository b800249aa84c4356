package protocol

// CmdWallboardSnapshot asks for the state a wallboard or an agent bar starts
// from: every agent and queue the connection may follow, the tenant's
// not-ready reasons and the seq the snapshot is current at. Subscribing
// with since set to that seq then brings every change after it.
const CmdWallboardSnapshot = "wallboard.snapshot"

// SnapshotRequest is the data of wallboard.snapshot: queues narrows the
// reply to those queues and their members (empty: all the connection may
// follow).
type SnapshotRequest struct {
	Queues []string `json:"queues,omitempty"`
}

// Validate checks the queue ids.
func (s *SnapshotRequest) Validate() error {
	if len(s.Queues) > MaxTopics {
		return &Error{Code: CodeBadRequest, Message: "too many queues"}
	}
	for _, q := range s.Queues {
		if !ValidID(q) {
			return &Error{Code: CodeBadRequest, Message: "bad queue id " + quoteShort(q)}
		}
	}
	return nil
}

// Snapshot is the reply to wallboard.snapshot. Agents and queues are in the
// shapes of the agent.state and queue.stats events (prev empty), so a client
// keeps one table and replaces rows as those events arrive.
type Snapshot struct {
	Epoch   string       `json:"epoch"`
	Seq     uint64       `json:"seq"` // subscribe with since=seq for what follows
	Agents  []AgentState `json:"agents"`
	Queues  []QueueStats `json:"queues"`
	Reasons []string     `json:"reasons"` // the not-ready reason codes; empty: any reason
	// ReasonCodes are the same codes with each one's maximum duration, in
	// the order a bar lists them.
	ReasonCodes []ReasonCode `json:"reason_codes"`
}

// ReasonCode is a not-ready reason the tenant configured.
type ReasonCode struct {
	Code string `json:"code"`
	// MaxS is how long a break for it may last before the supervisors get
	// agent.overrun; 0: no limit.
	MaxS int `json:"max_s,omitempty"`
}
