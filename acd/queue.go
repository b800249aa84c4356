package acd

import (
	"slices"
	"sort"
	"time"
)

// queue is the actor-owned state of one queue.
type queue struct {
	cfg     QueueConfig
	members []*agent // eligible agents, in configured order
	waiting []*qcall // callers and callback requests, best first
	rrNext  int      // round-robin: index of the member to try first
	aht     time.Duration
	today   DayCounts
	day     int
	dirty   bool
	lastPub time.Time
	pubStop func() bool
}

// DayCounts are a queue's counters since local midnight.
type DayCounts struct {
	Answered     int
	AnsweredInSL int
	// AnsweredWait sums the queue waits of the answered calls: ASA is
	// AnsweredWait ÷ Answered.
	AnsweredWait time.Duration
	Abandoned    int
	// AbandonedShort gave up before the queue's ShortAbandon wait (left
	// out of the service level with AbandonsShort).
	AbandonedShort int
	Overflowed     int
	Callbacks      int
	Surveys        Surveys // after the queue's answered calls
}

func (q *queue) insert(c *qcall) {
	i := sort.Search(len(q.waiting), func(i int) bool { return c.before(q.waiting[i]) })
	q.waiting = slices.Insert(q.waiting, i, c)
}

func (q *queue) remove(c *qcall) {
	if i := slices.Index(q.waiting, c); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
}

// position is 1 for the call that will be offered next.
func (q *queue) position(c *qcall) int { return slices.Index(q.waiting, c) + 1 }

// isMember reports whether a serves q at all (membership or the queue skill).
func (q *queue) isMember(a *agent) bool {
	if len(q.cfg.Agents) > 0 {
		return slices.Contains(q.cfg.Agents, a.cfg.ID)
	}
	return a.cfg.Skills[q.cfg.Skill] >= max(1, q.cfg.MinLevel)
}

// QueueStats is a queue's live picture.
type QueueStats struct {
	Queue     string
	Name      string
	Waiting   int // callers on the line
	Callbacks int // callback requests waiting for an agent
	// Oldest is when the longest-waiting caller on the line arrived (zero
	// when nobody waits), so a wallboard can tick the longest wait itself.
	Oldest      time.Time
	LongestWait time.Duration
	Agents      map[State]int // members by state
	// ServiceLevel is 0..1 today over SLCalls calls; with SLCalls zero
	// there is no service level yet (not 100 %: nothing was measured).
	ServiceLevel float64
	SLCalls      int
	SLThreshold  time.Duration
	SLAbandons   AbandonMethod
	ShortAbandon time.Duration
	ExpectedWait time.Duration // for a caller arriving now
	Today        DayCounts
}

// serviceLevel is kpi.md's "answered within Y s ÷ offered" over the calls
// whose outcome against the threshold is known: answered calls, overflowed
// calls (not answered here), callers still waiting past the threshold
// (they can no longer be answered in time) and abandons as the queue's
// method says. Callers waiting less than the threshold are not decided
// yet, and a caller who booked a callback left the line by choice: neither
// counts. calls is the denominator; zero means no service level yet.
func (q *queue) serviceLevel(d DayCounts, lateWaiting int) (sl float64, calls int) {
	calls = d.Answered + d.Overflowed + lateWaiting
	switch q.cfg.SLAbandons {
	case AbandonsFailures:
		calls += d.Abandoned
	case AbandonsIgnored:
	default:
		calls += d.Abandoned - d.AbandonedShort
	}
	if calls <= 0 {
		return 0, 0
	}
	return float64(d.AnsweredInSL) / float64(calls), calls
}

// staffed counts members who will take calls soon.
func (q *queue) staffed() int {
	n := 0
	for _, a := range q.members {
		switch a.state {
		case Ready, Reserved, OnCall, WrapUp:
			n++
		}
	}
	return n
}

// expectedWait for the caller at position pos: the work ahead of them
// (pos handle times) shared among the staffed members.
func (q *queue) expectedWait(pos int) time.Duration {
	if pos <= 0 {
		return 0
	}
	ewt := time.Duration(pos) * q.aht / time.Duration(max(1, q.staffed()))
	return ewt.Round(time.Second)
}

// observeHandle folds one handled call into the average handle time
// (exponential moving average, weight 1/5 for the newest call).
func (q *queue) observeHandle(talk time.Duration) {
	q.aht += (talk + q.cfg.WrapUp - q.aht) / 5
}

func (q *queue) stats(now time.Time) QueueStats {
	st := QueueStats{Queue: q.cfg.ID, Name: q.cfg.Name, Agents: make(map[State]int, 6), SLThreshold: q.cfg.SLThreshold,
		SLAbandons: q.cfg.SLAbandons, ShortAbandon: q.cfg.ShortAbandon, Today: q.today}
	late := 0
	for _, c := range q.waiting {
		if c.callback != "" {
			st.Callbacks++
			continue
		}
		st.Waiting++
		if now.Sub(c.enqueued) > q.cfg.SLThreshold {
			late++
		}
		if st.Oldest.IsZero() || c.enqueued.Before(st.Oldest) {
			st.Oldest = c.enqueued
		}
	}
	if !st.Oldest.IsZero() {
		st.LongestWait = now.Sub(st.Oldest)
	}
	for _, a := range q.members {
		st.Agents[a.state]++
	}
	st.ServiceLevel, st.SLCalls = q.serviceLevel(q.today, late)
	st.ExpectedWait = q.expectedWait(len(q.waiting) + 1)
	return st
}

func dayKey(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return y*10000 + int(m)*100 + d
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
