package acd

import "time"

// Call is a caller the PBX puts into a queue.
type Call struct {
	ID       string            `json:"id"`
	Queue    string            `json:"queue"`
	Caller   string            `json:"caller"`
	DID      string            `json:"did,omitempty"` // the number dialled
	Priority int               `json:"priority,omitempty"`
	VIP      bool              `json:"vip,omitempty"`
	Skill    string            `json:"skill,omitempty"` // overrides the queue's skill
	MinLevel int               `json:"min_level,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"` // IVR variables for the screen pop
}

// CallView is a waiting call as events and snapshots show it.
type CallView struct {
	Call
	Enqueued time.Time `json:"enqueued"`
	// Callback is the number to call back; set once the caller accepted
	// a callback and hung up (the request keeps the caller's place).
	Callback string `json:"callback,omitempty"`
}

// qcall is the actor-owned state of a waiting call or callback request.
type qcall struct {
	Call
	queue    *queue
	enqueued time.Time
	order    uint64 // tie-break: enqueue order
	prio     int    // effective priority (VIP boosted)
	rings    map[string]*reservation
	tried    map[string]bool
	callback string
	offered  bool // a callback was offered
	timers   []func() bool
	announce func() bool // the next position announcement
}

func (c *qcall) view() CallView {
	v := CallView{Call: c.Call, Enqueued: c.enqueued, Callback: c.callback}
	v.Queue = c.queue.cfg.ID
	return v
}

func (c *qcall) stopTimers() {
	for _, stop := range c.timers {
		stop()
	}
	c.timers = nil
	if c.announce != nil {
		c.announce()
		c.announce = nil
	}
}

// before orders calls: higher priority first, then first come.
func (c *qcall) before(o *qcall) bool {
	if c.prio != o.prio {
		return c.prio > o.prio
	}
	return c.order < o.order
}

// reservation is one agent held for one call while its endpoint rings.
type reservation struct {
	call  *qcall
	agent *agent
	stop  func() bool
}
